/**
 * The Server-Sent Events client: {@link dev.sse.client.SseClient} and its values.
 *
 * <p>Reads {@code text/event-stream} as the WHATWG HTML standard,
 * <a href="https://html.spec.whatwg.org/multipage/server-sent-events.html">"Server-sent events"</a>, describes it,
 * with the library's one parser, {@link dev.sse.core.SseParser}.
 */
package dev.sse.client;
