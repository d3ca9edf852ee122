package dev.sse.micrometer;

import dev.sse.testing.ApiDump;
import org.junit.jupiter.api.Test;

/** The public API of sse-micrometer, as recorded in {@code api/sse-micrometer.api}; see {@link ApiDump}. */
class ApiSurfaceTest {

    @Test
    void publicApiMatchesTheRecordedOne() throws Exception {
        ApiDump.assertRecorded(HubMetrics.class, "sse-micrometer");
    }
}
