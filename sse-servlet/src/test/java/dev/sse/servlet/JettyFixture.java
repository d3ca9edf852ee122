package dev.sse.servlet;

import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpServlet;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Jetty 12 ee10 with HTTP/1.1 and h2c (prior knowledge) on one connector. */
final class JettyFixture implements ServerFixture {

    private static final Logger LOG = LoggerFactory.getLogger(JettyFixture.class);

    private Server server;
    private ServerConnector connector;
    private ServletContextHandler context;

    private int start(ServletContextHandler handler) throws Exception {
        QueuedThreadPool pool = new QueuedThreadPool(64, 4);
        pool.setName("jetty");
        server = new Server(pool);
        HttpConfiguration config = new HttpConfiguration();
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(config),
                new HTTP2CServerConnectionFactory(config));
        connector.setPort(0);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(handler);
        server.setStopTimeout(5000);
        context = handler;
        server.start();
        return connector.getLocalPort();
    }

    @Override
    public int start(HttpServlet servlet, Map<String, String> initParams) throws Exception {
        ServletContextHandler handler = new ServletContextHandler();
        handler.setContextPath("/");
        ServletHolder holder = new ServletHolder("sse", servlet);
        holder.setAsyncSupported(true);
        holder.setInitParameters(initParams);
        holder.setInitOrder(1);
        handler.addServlet(holder, "/events");
        return start(handler);
    }

    @Override
    public int startAll(Map<String, HttpServlet> servletsByPath) throws Exception {
        ServletContextHandler handler = new ServletContextHandler();
        handler.setContextPath("/");
        servletsByPath.forEach((path, servlet) -> {
            ServletHolder holder = new ServletHolder("sse" + path.replace('/', '-'), servlet);
            holder.setAsyncSupported(true);
            holder.setInitOrder(1);
            handler.addServlet(holder, path);
        });
        return start(handler);
    }

    @Override
    public int startWebapp(String dir) throws Exception {
        WebAppContext webapp = new WebAppContext();
        webapp.setContextPath("/");
        webapp.setWar(dir);
        webapp.setParentLoaderPriority(true);
        return start(webapp);
    }

    @Override
    public int openConnections() {
        return connector.getConnectedEndPoints().size();
    }

    @Override
    public ServletContext servletContext() {
        return context.getServletContext();
    }

    /**
     * Jetty's own graceful stop waits for in-flight requests before it destroys a servlet, and an open stream is one
     * until it ends: the streams would be cut after the stop timeout, without their farewell. So the context stops
     * first (SseServlet.destroy drains its streams), then the server.
     */
    @Override
    public void stopGracefully() throws Exception {
        if (context != null && server != null) {
            context.stop();
        }
        stop();
    }

    @Override
    public void stop() throws Exception {
        if (server != null) {
            try {
                server.stop();
            } catch (TimeoutException e) {
                // Jetty stops everything anyway, then reports that its graceful phase ran out of time; on a loaded
                // machine that happens after mass-disconnect tests. Those tests check the connections themselves.
                LOG.info("Jetty's graceful stop timed out; it stopped anyway");
            }
            server = null;
        }
    }
}
