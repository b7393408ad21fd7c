package sleeper.statestore.postgres.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Null checks on arguments, before anything reaches native code. Internal. */
public final class Args {
    private Args() {
    }

    public static <T> T notNull(T value, String name) {
        if (value == null) {
            throw new NullPointerException(name + " must not be null");
        }
        return value;
    }

    /** An unmodifiable copy of a list that is present and holds no null. */
    public static <T> List<T> listOf(List<? extends T> values, String name) {
        notNull(values, name);
        List<T> copy = new ArrayList<>(values.size());
        for (T value : values) {
            if (value == null) {
                throw new NullPointerException(name + " must not contain null (at index " + copy.size() + ")");
            }
            copy.add(value);
        }
        return Collections.unmodifiableList(copy);
    }

    /** The list itself, once checked to be present and to hold no null. */
    public static <T, L extends List<T>> L noNulls(L values, String name) {
        notNull(values, name);
        int index = 0;
        for (T value : values) {
            if (value == null) {
                throw new NullPointerException(name + " must not contain null (at index " + index + ")");
            }
            index++;
        }
        return values;
    }
}
