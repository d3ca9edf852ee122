/**
 * {@code SseServlet}: Server-Sent Events over Jakarta Servlet 6 asynchronous, non-blocking I/O.
 */
module dev.sse.servlet {
    requires transitive dev.sse.core;
    requires static transitive jakarta.servlet;
    requires org.slf4j;
    requires java.management;
    // The file limit comes from com.sun.management where the JDK has it; without it there is no default bound.
    requires static jdk.management;

    exports dev.sse.servlet;

    uses dev.sse.core.spi.BackplaneProvider;
}
