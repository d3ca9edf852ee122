/**
 * The runnable demo: a live clock and a notification board over Server-Sent Events, served by embedded Jetty 12
 * from a {@code web.xml} webapp. Start it with {@link dev.sse.examples.DemoServer#main}.
 *
 * @see <a href="https://html.spec.whatwg.org/multipage/server-sent-events.html">WHATWG HTML: Server-sent events</a>
 */
package dev.sse.examples;
