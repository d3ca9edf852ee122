package dev.sse.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The demo's container settings: a small thread pool, a deep accept queue (measured in sse-bench/README.md). */
class DemoContainerSettingsTest {

    @Test
    void demoRunsOnASmallThreadPoolNotJettysTwoHundred() throws Exception {
        DemoServer demo = DemoServer.start(0);
        try {
            assertThat(demo.threadPool().getMaxThreads()).isEqualTo(DemoServer.DEFAULT_MAX_THREADS).isEqualTo(32);
        } finally {
            demo.stop();
        }
    }

    @Test
    void acceptQueueIsSizedForAReconnectBurstNotJettysFifty() throws Exception {
        // A setting check, not a load test: whether a burst overflows a backlog depends on the kernel and the load.
        DemoServer demo = DemoServer.start(0);
        try {
            assertThat(demo.connector().getAcceptQueueSize()).isEqualTo(1024);
        } finally {
            demo.stop();
        }
    }

    @Test
    @Timeout(30)
    void eightThreadPoolServesEightTimesAsManyStreamsBecauseAStreamHoldsNoThread() throws Exception {
        DemoServer demo = DemoServer.start("127.0.0.1", 0, 8);
        List<Socket> readers = new ArrayList<>();
        try {
            assertThat(demo.threadPool().getMaxThreads()).isEqualTo(8);
            for (int i = 0; i < 64; i++) {
                Socket s = new Socket("127.0.0.1", demo.port());
                s.setSoTimeout(10_000);
                s.getOutputStream().write(ascii("GET /api/v1/notifications HTTP/1.1\r\nHost: localhost\r\n"
                        + "Accept: text/event-stream\r\n\r\n"));
                readers.add(s);
            }
            for (Socket s : readers) {
                assertThat(readUntil(s.getInputStream(), "\r\n\r\n")).startsWith("HTTP/1.1 200");
            }
            try (Socket publisher = new Socket("127.0.0.1", demo.port())) {
                publisher.setSoTimeout(10_000);
                OutputStream out = publisher.getOutputStream();
                out.write(ascii("POST /api/v1/notifications HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
                        + "Content-Length: 11\r\n\r\nto-every-64"));
                assertThat(readUntil(publisher.getInputStream(), "\r\n\r\n")).startsWith("HTTP/1.1 202");
            }
            for (Socket s : readers) {
                assertThat(readUntil(s.getInputStream(), "to-every-64")).contains("data: to-every-64");
            }
        } finally {
            for (Socket s : readers) {
                s.close();
            }
            demo.stop();
        }
    }

    @Test
    void poolTooSmallForJettysOwnThreadsIsRejectedNamingMaxThreads() {
        assertThatThrownBy(() -> DemoServer.start("127.0.0.1", 0, 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxThreads");
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Reads until {@code end} has arrived (or the socket's timeout fails the read). */
    private static String readUntil(InputStream in, String end) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while (sb.indexOf(end) < 0 && (b = in.read()) >= 0) {
            sb.append((char) b);
        }
        return sb.toString();
    }
}
