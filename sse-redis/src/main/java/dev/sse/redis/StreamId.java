package dev.sse.redis;

/**
 * A Redis stream entry id, {@code <milliseconds>-<sequence>}, both unsigned 64-bit numbers, ordered as Redis orders
 * them. Immutable.
 */
final class StreamId implements Comparable<StreamId> {

    static final StreamId ZERO = new StreamId(0, 0);

    private final long millis;
    private final long sequence;

    private StreamId(long millis, long sequence) {
        this.millis = millis;
        this.sequence = sequence;
    }

    /**
     * Parses an id as Redis writes it.
     *
     * @return the id, or {@code null} for anything that is not exactly digits, a dash, digits, each part in range
     */
    static StreamId parse(String text) {
        if (text == null) {
            return null;
        }
        int dash = text.indexOf('-');
        if (dash <= 0 || dash == text.length() - 1 || dash > 20 || text.length() - dash - 1 > 20) {
            return null;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (i != dash && (c < '0' || c > '9')) {
                return null;
            }
        }
        try {
            return new StreamId(Long.parseUnsignedLong(text.substring(0, dash)),
                    Long.parseUnsignedLong(text.substring(dash + 1)));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** @return the smallest id after this one, for an inclusive range that starts after it */
    StreamId next() {
        if (sequence == -1L) {
            return new StreamId(millis + 1, 0);
        }
        return new StreamId(millis, sequence + 1);
    }

    long millis() {
        return millis;
    }

    @Override
    public int compareTo(StreamId o) {
        int c = Long.compareUnsigned(millis, o.millis);
        return c != 0 ? c : Long.compareUnsigned(sequence, o.sequence);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StreamId && ((StreamId) o).millis == millis && ((StreamId) o).sequence == sequence;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(millis) * 31 + Long.hashCode(sequence);
    }

    @Override
    public String toString() {
        return Long.toUnsignedString(millis) + "-" + Long.toUnsignedString(sequence);
    }
}
