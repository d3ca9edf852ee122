package dev.sse.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards the memory each live stream costs on Jetty: heap plus direct buffers after GC, per stream, with every
 * stream having written an event (which is when Jetty's output aggregation buffer would be taken).
 */
class JettyStreamMemoryTest {

    private static final Logger LOG = LoggerFactory.getLogger(JettyStreamMemoryTest.class);
    private static final int N = 1000;
    private static final Duration T = Duration.ofSeconds(10);

    @Test
    void aLiveStreamCostsLessThan8KiB() throws Exception {
        double ours = perStream(true);
        double aggregated = perStream(false);
        LOG.info("per live stream on Jetty (server side plus a bare client socket, heap + direct): {} B bypassing the "
                + "aggregation buffer, {} B through it", Math.round(ours), Math.round(aggregated));
        assertThat(ours).isLessThan(8 * 1024);
    }

    private static double perStream(boolean bypass) throws Exception {
        Hub hub = Hub.builder().keepAlive(Duration.ZERO).build();
        try (JettyFixture server = new JettyFixture()) {
            int port = server.start(SseServlet.builder().hub(hub).aggregationBypass(bypass).build(), Map.of());
            // Warm up the container's pools and classes so that they are not counted.
            closeAll(openAndReceive(port, hub, 50));
            // A closed client is noticed on the next write to it (the servlet API has no other signal).
            long deadline = System.nanoTime() + T.toNanos();
            while (hub.channelCount() > 0) {
                assertThat(System.nanoTime()).as("warm-up streams closed in time").isLessThan(deadline);
                hub.broadcast(SseEvent.comment("probe"));
                Thread.onSpinWait();
            }
            long before = used();
            List<SocketChannel> clients = openAndReceive(port, hub, N);
            long after = used();
            closeAll(clients);
            // End the streams before the server stops, so its graceful stop has no request left to wait for.
            hub.close();
            return (after - before) / (double) N;
        } finally {
            hub.close();
        }
    }

    /**
     * Opens streams with bare socket channels sharing one read buffer, so that the client side adds next to nothing
     * to what is measured, and waits until each has received one broadcast.
     */
    private static List<SocketChannel> openAndReceive(int port, Hub hub, int n) throws Exception {
        List<SocketChannel> clients = new ArrayList<>(n);
        ByteBuffer request = ByteBuffer.wrap("GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < n; i++) {
            SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
            ch.write(request.duplicate());
            clients.add(ch);
        }
        awaitChannels(hub, n);
        hub.broadcast(SseEvent.data("x".repeat(100)));
        ByteBuffer shared = ByteBuffer.allocate(64 * 1024);
        for (SocketChannel ch : clients) {
            StringBuilder got = new StringBuilder();
            long deadline = System.nanoTime() + T.toNanos();
            ch.configureBlocking(false);
            while (got.indexOf("xxx\n\n") < 0) {
                assertThat(System.nanoTime()).as("event received in time").isLessThan(deadline);
                shared.clear();
                int r = ch.read(shared);
                assertThat(r).as("stream still open").isNotNegative();
                got.append(new String(shared.array(), 0, shared.position(), StandardCharsets.ISO_8859_1));
                if (r == 0) {
                    Thread.onSpinWait();
                }
            }
        }
        return clients;
    }

    private static void awaitChannels(Hub hub, int n) {
        long deadline = System.nanoTime() + T.toNanos();
        while (hub.channelCount() != n) {
            assertThat(System.nanoTime()).as("%d channels in time", n).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    private static void closeAll(List<SocketChannel> clients) throws IOException {
        for (SocketChannel ch : clients) {
            ch.close();
        }
    }

    private static long used() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long direct = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            direct += pool.getMemoryUsed();
        }
        return heap + direct;
    }
}
