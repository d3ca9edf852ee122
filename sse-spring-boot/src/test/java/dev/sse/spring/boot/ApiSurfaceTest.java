package dev.sse.spring.boot;

import dev.sse.testing.ApiDump;
import org.junit.jupiter.api.Test;

/** The public API of sse-spring-boot, as recorded in {@code api/sse-spring-boot.api}; see {@link ApiDump}. */
class ApiSurfaceTest {

    @Test
    void publicApiMatchesTheRecordedOne() throws Exception {
        ApiDump.assertRecorded(SseAutoConfiguration.class, "sse-spring-boot");
    }
}
