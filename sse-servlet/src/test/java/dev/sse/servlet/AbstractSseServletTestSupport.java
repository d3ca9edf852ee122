package dev.sse.servlet;

import java.io.IOException;

final class AbstractSseServletTestSupport {
    private AbstractSseServletTestSupport() {
    }

    static void quietClose(SseClient c) {
        try {
            c.close();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
