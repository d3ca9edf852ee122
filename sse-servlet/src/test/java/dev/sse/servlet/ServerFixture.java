package dev.sse.servlet;

import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpServlet;
import java.util.Map;

/** An embedded container serving one servlet at {@code /events} on a free port. */
interface ServerFixture extends AutoCloseable {

    /** Starts serving {@code servlet} with its init-params; returns the port. */
    int start(HttpServlet servlet, Map<String, String> initParams) throws Exception;

    /** Starts serving several servlets, each at its path (e.g. {@code /a}), without init-params; returns the port. */
    int startAll(Map<String, HttpServlet> servletsByPath) throws Exception;

    /** Deploys the web application directory (with its WEB-INF/web.xml) at the root; returns the port. */
    int startWebapp(String dir) throws Exception;

    ServletContext servletContext();

    /** @return the connections the server holds open now, or -1 where the container does not tell */
    default int openConnections() {
        return -1;
    }

    void stop() throws Exception;

    /**
     * Stops as an application on this container should: its servlets are destroyed (so streams get their farewell)
     * while the connections are still open.
     */
    default void stopGracefully() throws Exception {
        stop();
    }

    /** Stops the server; a failure to stop fails the test as an unchecked exception. */
    @Override
    default void close() {
        try {
            stop();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("server did not stop", e);
        }
    }
}
