/**
 * Many nodes, one hub: {@link dev.sse.redis.RedisBackplane} puts a hub's broadcasts on a Redis stream that every node
 * reads, so clients on every node get the same events with the same ids, and resume on any node with
 * {@code Last-Event-ID} (<a href="https://html.spec.whatwg.org/multipage/server-sent-events.html">WHATWG HTML,
 * server-sent events</a>).
 */
package dev.sse.redis;
