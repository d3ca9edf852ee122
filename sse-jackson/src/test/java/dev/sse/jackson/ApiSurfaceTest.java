package dev.sse.jackson;

import dev.sse.testing.ApiDump;
import org.junit.jupiter.api.Test;

/** The public API of sse-jackson, as recorded in {@code api/sse-jackson.api}; see {@link ApiDump}. */
class ApiSurfaceTest {

    @Test
    void publicApiMatchesTheRecordedOne() throws Exception {
        ApiDump.assertRecorded(JacksonCodec.class, "sse-jackson");
    }
}
