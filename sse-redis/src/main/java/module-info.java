/**
 * {@code RedisBackplane}: hubs on many nodes act as one over a Redis stream, and a client resumes on any node.
 */
module dev.sse.redis {
    requires transitive dev.sse.core;
    requires transitive lettuce.core;
    requires org.slf4j;

    exports dev.sse.redis;

    provides dev.sse.core.spi.BackplaneProvider with dev.sse.redis.RedisBackplaneProvider;
}
