/**
 * Helpers for testing code that publishes Server-Sent Events, for any test runner (failures are
 * {@link java.lang.AssertionError}s; results are plain lists that AssertJ's {@code assertThat} takes as they are).
 *
 * <ul>
 *   <li>{@link dev.sse.test.RecordingChannel}: a client of a {@link dev.sse.core.Hub}, or of a per-request
 *       {@link dev.sse.core.SseStream}, held in memory: it records every frame the hub writes, exactly as it would
 *       go on the wire, with no server and no socket.</li>
 *   <li>{@link dev.sse.test.SseTestClient}: one real HTTP request to a running server (an embedded container, a
 *       Spring Boot application on its random port) that waits for events with a deadline and then closes the
 *       connection, so a stream that never ends cannot hang a test.</li>
 * </ul>
 *
 * <p>The wire format is the WHATWG HTML standard's,
 * <a href="https://html.spec.whatwg.org/multipage/server-sent-events.html">"Server-sent events"</a>.
 */
package dev.sse.test;
