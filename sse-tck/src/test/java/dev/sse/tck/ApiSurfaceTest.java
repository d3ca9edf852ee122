package dev.sse.tck;

import dev.sse.testing.ApiDump;
import org.junit.jupiter.api.Test;

/** The public API of sse-tck, as recorded in {@code api/sse-tck.api}; see {@link ApiDump}. */
class ApiSurfaceTest {

    @Test
    void publicApiMatchesTheRecordedOne() throws Exception {
        ApiDump.assertRecorded(AdapterFixture.class, "sse-tck");
    }
}
