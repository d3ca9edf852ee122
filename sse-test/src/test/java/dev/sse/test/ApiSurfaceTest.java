package dev.sse.test;

import dev.sse.testing.ApiDump;
import org.junit.jupiter.api.Test;

/** The public API of sse-test, as recorded in {@code api/sse-test.api}; see {@link ApiDump}. */
class ApiSurfaceTest {

    @Test
    void publicApiMatchesTheRecordedOne() throws Exception {
        ApiDump.assertRecorded(SseTestClient.class, "sse-test");
    }
}
