package dev.sse.vertx;

import dev.sse.testing.ApiDump;
import org.junit.jupiter.api.Test;

/** The public API of sse-vertx, as recorded in {@code api/sse-vertx.api}; see {@link ApiDump}. */
class ApiSurfaceTest {

    @Test
    void publicApiMatchesTheRecordedOne() throws Exception {
        ApiDump.assertRecorded(SseHandler.class, "sse-vertx");
    }
}
