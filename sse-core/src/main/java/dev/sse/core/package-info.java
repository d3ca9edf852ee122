/**
 * The Server-Sent Events model, codec and fan-out.
 *
 * <p>Wire format by the WHATWG HTML standard, section
 * <a href="https://html.spec.whatwg.org/multipage/server-sent-events.html">Server-sent events</a>:
 * {@link dev.sse.core.SseEncoder} writes it, {@link dev.sse.core.SseParser} reads it.
 * {@link dev.sse.core.Hub} is what application code calls.
 */
package dev.sse.core;
