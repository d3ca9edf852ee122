package dev.sse.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.servlet.SseServlet;
import dev.sse.test.RecordingChannel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two Jetty servers, each an {@link SseServlet} configured only by init-params ({@code backplane=redis://...}, as in
 * web.xml), on one Redis: a raw socket client is moved from one to the other mid-stream and misses nothing.
 */
class ClusterEndToEndTest {

    private RedisServer redis;
    private final List<Server> servers = new ArrayList<>();
    private final List<ServletContextHandler> contexts = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
    }

    @AfterEach
    void stop() throws Exception {
        for (Server s : servers) {
            s.stop();
        }
        redis.close();
    }

    private int jetty() throws Exception {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        ServletHolder holder = new ServletHolder("events", SseServlet.class);
        holder.setAsyncSupported(true);
        holder.setInitOrder(1);
        holder.setInitParameters(Map.of("hub", "events", "keepAlive", "1s",
                "backplane", redis.uri() + "?stream=sse:e2e&mirrorSize=100"));
        context.addServlet(holder, "/events");
        server.setHandler(context);
        server.start();
        servers.add(server);
        contexts.add(context);
        return connector.getLocalPort();
    }

    private Hub hub(int node) {
        return SseServlet.hub(contexts.get(node).getServletContext(), "events");
    }

    @Test
    void clientMovedToAnotherServerMidStreamGetsEveryEventOnceInOrder() throws Exception {
        int port1 = jetty();
        int port2 = jetty();
        RecordingChannel reference = RecordingChannel.open(hub(1));
        int total = 400;
        ExecutorService publisher = Executors.newSingleThreadExecutor();
        try (StreamClient first = StreamClient.open(port1, null)) {
            assertThat(first.status).isEqualTo(200);
            Future<String> lastSent = publisher.submit(() -> {
                String id = null;
                for (int i = 0; i < total; i++) {
                    id = hub(i % 2).broadcast(SseEvent.data("event " + i));
                }
                return id;
            });
            List<String> beforeMove = first.readIds(100, Duration.ofSeconds(20));
            first.close();
            String last = beforeMove.get(beforeMove.size() - 1);
            reference.awaitEvent(e -> last.equals(e.id()), Duration.ofSeconds(20));

            try (StreamClient second = StreamClient.open(port2, last)) {
                assertThat(second.status).isEqualTo(200);
                String end = lastSent.get(60, TimeUnit.SECONDS);
                List<String> afterMove = second.readIdsThrough(end, Duration.ofSeconds(30));
                List<String> joined = new ArrayList<>(beforeMove);
                joined.addAll(afterMove);
                reference.awaitEvents(total, Duration.ofSeconds(20));
                assertThat(joined).containsExactlyElementsOf(reference.ids());
            }
        } finally {
            publisher.shutdownNow();
        }
    }

    /** A raw HTTP/1.0 client (so the body is not chunked) that reads events' ids off the socket. */
    static final class StreamClient implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        final int status;

        private StreamClient(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String statusLine = in.readLine();
            this.status = Integer.parseInt(statusLine.split(" ")[1]);
            String line;
            while ((line = in.readLine()) != null && !line.isEmpty()) {
                // headers: not needed
            }
        }

        static StreamClient open(int port, String lastEventId) throws IOException {
            Socket s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(30_000);
            String req = "GET /events HTTP/1.0\r\nHost: 127.0.0.1:" + port + "\r\nAccept: text/event-stream\r\n"
                    + (lastEventId != null ? "Last-Event-ID: " + lastEventId + "\r\n" : "") + "\r\n";
            s.getOutputStream().write(req.getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            return new StreamClient(s);
        }

        List<String> readIds(int count, Duration timeout) throws IOException {
            List<String> ids = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (ids.size() < count) {
                ids.add(nextId(deadline));
            }
            return ids;
        }

        List<String> readIdsThrough(String lastId, Duration timeout) throws IOException {
            List<String> ids = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            String id;
            do {
                id = nextId(deadline);
                ids.add(id);
            } while (!id.equals(lastId));
            return ids;
        }

        private String nextId(long deadline) throws IOException {
            String line;
            while ((line = in.readLine()) != null) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no event in time");
                }
                if (line.startsWith("id:")) {
                    return line.substring(line.startsWith("id: ") ? 4 : 3);
                }
            }
            throw new IOException("stream ended");
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
