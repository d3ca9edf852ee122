package dev.sse.test;

import java.util.List;

/** Words for failure messages: what arrived, short enough to read in a test report. */
final class Describe {

    private static final int SHOWN = 10;

    private Describe() {
    }

    static String events(List<?> events) {
        int n = events.size();
        if (n == 0) {
            return "no event arrived";
        }
        if (n <= SHOWN) {
            return n + (n == 1 ? " event" : " events") + " arrived: " + events;
        }
        return n + " events arrived, the last " + SHOWN + ": " + events.subList(n - SHOWN, n);
    }
}
