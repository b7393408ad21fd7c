package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.exception.FileAlreadyExistsException;
import sleeper.statestore.postgres.model.FileReference;
import sleeper.statestore.postgres.model.Partition;

/** 16 threads calling one client and one store at the same moment. */
class ConcurrencyTest extends StoreTest {
    private static final int THREADS = 16;

    /** Runs the task on 16 threads released together; returns their results. */
    private static <T> List<T> onSixteenThreads(Callable<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return task.call();
                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void sixteenThreadsAddDistinctFilesAndAllSucceed() throws Exception {
        store.initialise();
        AtomicInteger next = new AtomicInteger();
        onSixteenThreads(() -> {
            int n = next.getAndIncrement();
            for (int i = 0; i < 10; i++) {
                store.addFile(new FileReference("file-" + n + "-" + i, "root", i));
            }
            return null;
        });
        assertEquals(THREADS * 10, store.getFileReferences().size());
    }

    @Test
    void sixteenThreadsAddingOneFilenameLeaveExactlyOneWinner() throws Exception {
        store.initialise();
        List<Boolean> added = onSixteenThreads(() -> {
            try {
                store.addFile(new FileReference("same", "root", 1));
                return true;
            } catch (FileAlreadyExistsException e) {
                return false;
            }
        });
        assertEquals(1, added.stream().filter(b -> b).count());
    }

    @Test
    void sixteenThreadsReadAtOnceAndSeeTheSameState() throws Exception {
        initialiseWithLeftAndRight();
        List<Partition> expected = store.getAllPartitions();
        List<List<Partition>> seen = onSixteenThreads(() -> {
            List<Partition> last = null;
            for (int i = 0; i < 20; i++) {
                store.getPartition("L");
                last = store.getAllPartitions();
            }
            return last;
        });
        seen.forEach(partitions -> assertEquals(expected, partitions));
    }

    @Test
    void sixteenThreadsUseTheirOwnStoresOnOneClient() throws Exception {
        AtomicInteger next = new AtomicInteger();
        List<String> tables = onSixteenThreads(() -> {
            String tableId = TestDatabase.uniqueTableId() + "-" + next.getAndIncrement();
            try (PostgresStateStore own = client.createTable(tableId, TestDatabase.longKey())) {
                own.initialise();
                own.addFile(new FileReference("f", "root", 1));
                own.getFileReferences();
            }
            return tableId;
        });
        assertEquals(THREADS, tables.stream().filter(id -> {
            try {
                return client.listTables().contains(id);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).count());
    }

    @Test
    void aThreadWithASmallStackCanCallEveryKindOfMethod() throws Exception {
        initialiseWithLeftAndRight();
        List<Object> results = new ArrayList<>();
        Thread thread = new Thread(null, () -> {
            try {
                store.addFiles(List.of(new FileReference("f", "L", 1)));
                results.add(store.getFileReferences());
                results.add(store.getAllFilesWithMaxUnreferenced(10));
                results.add(store.getAllPartitions());
            } catch (Exception e) {
                results.add(e);
            }
        }, "small-stack", 256 * 1024);
        thread.start();
        thread.join();
        assertEquals(3, results.size(), results.toString());
    }

    @Test
    void closingAStoreWhileThreadsUseItNeverCrashes() throws Exception {
        store.initialise();
        PostgresStateStore shared = client.table(store.getTableId());
        CountDownLatch started = new CountDownLatch(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                futures.add(pool.submit(() -> {
                    started.countDown();
                    int calls = 0;
                    try {
                        while (calls < 10_000) {
                            shared.getPartition("root");
                            calls++;
                        }
                    } catch (IllegalStateException closed) {
                        return calls;
                    }
                    return calls;
                }));
            }
            started.await();
            shared.close();
            for (Future<Integer> future : futures) {
                future.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals("root", store.getPartition("root").getId());
    }
}
