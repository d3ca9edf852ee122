package dev.sse.jackson2;

import dev.sse.testing.ApiDump;
import org.junit.jupiter.api.Test;

/** The public API of sse-jackson2, as recorded in {@code api/sse-jackson2.api}; see {@link ApiDump}. */
class ApiSurfaceTest {

    @Test
    void publicApiMatchesTheRecordedOne() throws Exception {
        ApiDump.assertRecorded(Jackson2Codec.class, "sse-jackson2");
    }
}
