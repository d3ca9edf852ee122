package dev.sse.webflux;

import dev.sse.testing.ApiDump;
import org.junit.jupiter.api.Test;

/** The public API of sse-webflux, as recorded in {@code api/sse-webflux.api}; see {@link ApiDump}. */
class ApiSurfaceTest {

    @Test
    void publicApiMatchesTheRecordedOne() throws Exception {
        ApiDump.assertRecorded(SseHandler.class, "sse-webflux");
    }
}
