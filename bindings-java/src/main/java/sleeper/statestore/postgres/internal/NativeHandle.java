package sleeper.statestore.postgres.internal;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Owns the address of a Rust value and frees it exactly once: after {@link #close()} when the last call
 * using it has returned, or by a {@link Cleaner} when its owner becomes unreachable. Calls take the
 * address with {@link #acquire()} and give it back with {@link #release()}; both are one atomic
 * operation, so any number of threads may be inside native calls at once, and no lock is held during
 * them. Internal.
 */
public final class NativeHandle {
    private static final Cleaner CLEANER = Cleaner.create(runnable -> {
        Thread thread = new Thread(runnable, "sleeper-pg-cleaner");
        thread.setDaemon(true);
        return thread;
    });
    private static final long CLOSED = 1L << 62;

    private final long address;
    private final String owner;
    /** The number of calls in progress, plus {@link #CLOSED} once closed. */
    private final AtomicLong state = new AtomicLong();
    private final Cleaner.Cleanable cleanable;

    /**
     * @param owner the Java object whose unreachability frees the value
     * @param address the value's address
     * @param free frees the value; must not refer to {@code owner}
     * @param name how messages name the owner, as in "PostgresStateStore is closed"
     */
    public NativeHandle(Object owner, long address, LongConsumer free, String name) {
        this.address = address;
        this.owner = name;
        this.cleanable = CLEANER.register(owner, new Free(address, free));
    }

    /** The address, counted as in use until {@link #release()}; IllegalStateException once closed. */
    public long acquire() {
        while (true) {
            long current = state.get();
            if ((current & CLOSED) != 0) {
                throw new IllegalStateException(owner + " is closed");
            }
            if (state.compareAndSet(current, current + 1)) {
                return address;
            }
        }
    }

    public void release() {
        if (state.decrementAndGet() == CLOSED) {
            cleanable.clean();
        }
    }

    /** A native call given the address. */
    @FunctionalInterface
    public interface Call<T, E extends Exception> {
        T apply(long address) throws E;
    }

    /** A native call with no answer. */
    @FunctionalInterface
    public interface Run<E extends Exception> {
        void run(long address) throws E;
    }

    /**
     * Runs {@code call} with the address, counted as in use until it returns; IllegalStateException once
     * closed. The owner keeps itself reachable around it ({@code Reference.reachabilityFence}).
     */
    public <T, E extends Exception> T call(Call<T, E> call) throws E {
        long address = acquire();
        try {
            return call.apply(address);
        } finally {
            release();
        }
    }

    public boolean isClosed() {
        return (state.get() & CLOSED) != 0;
    }

    /**
     * Marks the handle closed, runs {@code beforeFree} with the address still valid (only for the first
     * close), and frees the value once no call uses it. Closing again does nothing.
     */
    public void close(LongConsumer beforeFree) {
        long previous = state.getAndUpdate(current -> (current & CLOSED) != 0 ? current : (current | CLOSED) + 1);
        if ((previous & CLOSED) != 0) {
            return;
        }
        try {
            beforeFree.accept(address);
        } finally {
            release();
        }
    }

    public void close() {
        close(address -> {
        });
    }

    /** The Cleaner's action: holds the address only, never the owner. */
    private static final class Free implements Runnable {
        private final long address;
        private final LongConsumer free;

        Free(long address, LongConsumer free) {
            this.address = address;
            this.free = free;
        }

        @Override
        public void run() {
            free.accept(address);
        }
    }
}
