package dev.sse.redis;

import dev.sse.testing.ApiDump;
import org.junit.jupiter.api.Test;

/** The public API of sse-redis, as recorded in {@code api/sse-redis.api}; see {@link ApiDump}. */
class ApiSurfaceTest {

    @Test
    void publicApiMatchesTheRecordedOne() throws Exception {
        ApiDump.assertRecorded(RedisBackplane.class, "sse-redis");
    }
}
