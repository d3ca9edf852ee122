package dev.sse.bench;

import dev.sse.bench.load.LatencyHistogram;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes as a user of the demo's HTTP API does: {@code POST path} over a fixed set of keep-alive connections,
 * the body the event's data ({@code "<seq> xxx..."} padded to the size). Broadcast {@code seq} goes out on
 * connection {@code seq % connections}, so a slow answer holds up only that connection's next POST.
 *
 * <h2>Threads</h2>
 * Each connection has its own thread ({@code http-publisher-i}) that writes the request and reads the answer; the
 * caller's thread only hands work to them. The round-trip histogram is guarded by its own monitor.
 */
final class HttpPublisher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpPublisher.class);

    private final InetSocketAddress server;
    private final String path;
    private final List<Conn> conns = new ArrayList<>();
    private final LatencyHistogram roundTrips = new LatencyHistogram();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong done = new AtomicLong();

    /**
     * Opens the connections.
     *
     * @param server the demo
     * @param path e.g. {@code /api/v1/notifications}
     * @param connections how many keep-alive connections, at least 1
     * @throws IOException if one cannot be opened
     */
    HttpPublisher(InetSocketAddress server, String path, int connections) throws IOException {
        if (connections < 1) {
            throw new IllegalArgumentException("connections must be at least 1 (was " + connections + ")");
        }
        this.server = server;
        this.path = path;
        try {
            for (int i = 0; i < connections; i++) {
                conns.add(new Conn(i));
            }
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /**
     * Queues one POST. {@code beforeFirstByte} runs on the connection's thread just before the request's first byte
     * is written: the moment latency is measured from.
     *
     * @param seq the broadcast's sequence number
     * @param size the body's size in bytes
     * @param beforeFirstByte given {@code seq}
     */
    void publish(long seq, int size, LongConsumer beforeFirstByte) {
        String head = seq + " ";
        String body = head + "x".repeat(Math.max(0, size - head.length()));
        byte[] bodyBytes = body.getBytes(StandardCharsets.US_ASCII);
        byte[] request = ("POST " + path + " HTTP/1.1\r\nHost: " + server.getHostString() + ":" + server.getPort()
                + "\r\nContent-Type: text/plain;charset=utf-8\r\nContent-Length: " + bodyBytes.length + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.US_ASCII);
        Conn c = conns.get((int) (seq % conns.size()));
        c.executor.execute(() -> c.post(seq, request, beforeFirstByte));
    }

    /** @return POSTs answered (any status) or failed */
    long done() {
        return done.get();
    }

    /** @return POSTs not answered {@code 202}, or failed on the socket */
    long failures() {
        return failures.get();
    }

    /** @return the POST round trip (first byte written to the answer read) at the quantile, nanoseconds */
    long roundTripNanos(double quantile) {
        synchronized (roundTrips) {
            return roundTrips.quantileNanos(quantile);
        }
    }

    /** @return the longest POST round trip since the last reset, nanoseconds */
    long maxRoundTripNanos() {
        synchronized (roundTrips) {
            return roundTrips.maxNanos();
        }
    }

    void resetStats() {
        synchronized (roundTrips) {
            roundTrips.reset();
        }
    }

    @Override
    public void close() {
        for (Conn c : conns) {
            c.executor.shutdownNow();
            try {
                c.socket.close();
            } catch (IOException e) {
                LOG.debug("closing a publisher connection: {}", e.toString());
            }
        }
        for (Conn c : conns) {
            try {
                c.executor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** One keep-alive connection; its socket and streams are its thread's. */
    private final class Conn {
        final Socket socket;
        final OutputStream out;
        final InputStream in;
        final ExecutorService executor;

        Conn(int index) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(server, 10_000);
            socket.setSoTimeout(30_000);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 4096);
            executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "http-publisher-" + index));
        }

        void post(long seq, byte[] request, LongConsumer beforeFirstByte) {
            try {
                beforeFirstByte.accept(seq);
                long t0 = System.nanoTime();
                out.write(request);
                out.flush();
                int status = readResponse();
                long took = System.nanoTime() - t0;
                synchronized (roundTrips) {
                    roundTrips.record(took);
                }
                if (status != 202) {
                    failures.incrementAndGet();
                    LOG.warn("POST {} for broadcast {} answered {}", path, seq, status);
                }
            } catch (IOException e) {
                failures.incrementAndGet();
                LOG.warn("POST {} for broadcast {} failed: {}", path, seq, e.toString());
            } finally {
                done.incrementAndGet();
            }
        }

        /** Reads one answer, its body by Content-Length or chunked; returns the status. */
        private int readResponse() throws IOException {
            String status = line();
            String[] parts = status.split(" ");
            if (parts.length < 2) {
                throw new IOException("bad status line: " + status);
            }
            long length = 0;
            boolean chunked = false;
            String h;
            while (!(h = line()).isEmpty()) {
                String lower = h.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(h.substring("content-length:".length()).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                }
            }
            if (chunked) {
                long n;
                while ((n = Long.parseLong(line().split(";")[0].trim(), 16)) > 0) {
                    skip(n);
                    line();
                }
                while (!line().isEmpty()) {
                    // Trailers: none expected, read past them all the same.
                }
            } else {
                skip(length);
            }
            return Integer.parseInt(parts[1]);
        }

        private void skip(long n) throws IOException {
            for (long i = 0; i < n; i++) {
                if (in.read() < 0) {
                    throw new IOException("connection closed inside a body");
                }
            }
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                if (b != '\r') {
                    sb.append((char) b);
                }
            }
            if (b < 0) {
                throw new IOException("connection closed by the server");
            }
            return sb.toString();
        }
    }
}
