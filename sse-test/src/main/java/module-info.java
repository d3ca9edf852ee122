/**
 * Test helpers for applications on dev.sse: a recording in-memory channel for hub and stream unit tests, and a
 * client over real HTTP that waits for events with a deadline and then ends the stream.
 */
module dev.sse.test {
    requires transitive dev.sse.core;
    requires transitive dev.sse.client;

    exports dev.sse.test;
}
