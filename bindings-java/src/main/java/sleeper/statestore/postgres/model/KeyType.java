package sleeper.statestore.postgres.model;

/** The type of a row key field. Java values: INT Integer, LONG Long, STRING String, BYTES byte[]. */
public enum KeyType {
    INT("int"),
    LONG("long"),
    STRING("string"),
    BYTES("bytes");

    private final String name;

    KeyType(String name) {
        this.name = name;
    }

    /** The type's name in every language: int, long, string or bytes. */
    public String getName() {
        return name;
    }
}
