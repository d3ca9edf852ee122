/**
 * A Server-Sent Events client on {@code java.net.http}: follows a stream like a browser's {@code EventSource}
 * (reconnect with backoff, resume with {@code Last-Event-ID}) or reads one response to its end.
 */
module dev.sse.client {
    requires transitive java.net.http;
    requires dev.sse.core;
    requires org.slf4j;

    exports dev.sse.client;
}
