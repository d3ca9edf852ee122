/**
 * Server-Sent Events for any Jakarta Servlet 6 container: {@link dev.sse.servlet.SseServlet} streams a
 * {@link dev.sse.core.Hub}'s events to browsers' {@code EventSource} as the
 * <a href="https://html.spec.whatwg.org/multipage/server-sent-events.html">WHATWG HTML "Server-sent events"</a>
 * section describes, with non-blocking writes, resume, CORS and connection limits.
 */
package dev.sse.servlet;
