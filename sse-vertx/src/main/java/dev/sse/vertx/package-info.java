/**
 * Server-Sent Events on Vert.x 5: {@link dev.sse.vertx.SseHandler} streams a hub from a vertx-web route (and
 * publishes {@code POST}s with {@code publish=open}); {@link dev.sse.vertx.SseStreams} opens per-request streams.
 */
package dev.sse.vertx;
