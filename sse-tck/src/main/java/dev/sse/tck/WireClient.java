package dev.sse.tck;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One HTTP/1.1 exchange over a raw socket, so the kit sees the bytes a runtime really wrote: a reader thread decodes
 * the response (chunked, sized or close-delimited) while the test waits on it with deadlines.
 */
final class WireClient implements AutoCloseable {

    private final Socket socket;
    private final Object lock = new Object();
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private final Map<String, String> headers = new LinkedHashMap<>();
    private int status = -1;
    private long headersAtNanos;
    private boolean ended;
    private IOException failure;

    private final boolean head;

    private WireClient(Socket socket, boolean head) {
        this.socket = socket;
        this.head = head;
    }

    static WireClient open(int port, String method, String target, Map<String, String> requestHeaders)
            throws IOException {
        WireClient client = connect(port, method, target, requestHeaders, 0);
        client.resume();
        return client;
    }

    /**
     * Sends the request but reads nothing until {@link #resume()}, through a small receive buffer: a reader that
     * stalled, so the server's writes back up.
     */
    static WireClient stalled(int port, String target) throws IOException {
        return connect(port, "GET", target, Map.of(), 4096);
    }

    private static WireClient connect(int port, String method, String target, Map<String, String> requestHeaders,
                                      int receiveBuffer) throws IOException {
        Socket socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setTcpNoDelay(true);
        StringBuilder request = new StringBuilder()
                .append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(port).append("\r\n");
        if (!requestHeaders.containsKey("Accept")) {
            request.append("Accept: text/event-stream\r\n");
        }
        requestHeaders.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
        request.append("\r\n");
        OutputStream out = socket.getOutputStream();
        // UTF-8, not Latin-1: a Last-Event-ID the hub made from unicode goes out as its bytes, as browsers send it.
        out.write(request.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
        return new WireClient(socket, method.equals("HEAD"));
    }

    /** Starts reading the response (a stalled client catches up). */
    void resume() {
        Thread reader = new Thread(this::read, "tck-wire-" + socket.getLocalPort());
        reader.setDaemon(true);
        reader.start();
    }

    static WireClient get(int port, String target) throws IOException {
        return open(port, "GET", target, Map.of());
    }

    private void read() {
        try (InputStream in = socket.getInputStream()) {
            String statusLine = line(in);
            if (statusLine == null) {
                return;
            }
            boolean chunked = false;
            long length = -1;
            Map<String, String> h = new LinkedHashMap<>();
            for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
                int colon = l.indexOf(':');
                String name = l.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = l.substring(colon + 1).trim();
                h.merge(name, value, (a, b) -> a + ", " + b);
            }
            chunked = h.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked");
            if (h.containsKey("content-length")) {
                length = Long.parseLong(h.get("content-length"));
            }
            int code = Integer.parseInt(statusLine.split(" ")[1]);
            synchronized (lock) {
                headers.putAll(h);
                status = code;
                headersAtNanos = System.nanoTime();
                lock.notifyAll();
            }
            if (head || code == 204 || code == 304 || (code >= 100 && code < 200)) {
                return;
            }
            if (chunked) {
                for (String size = line(in); size != null; size = line(in)) {
                    int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                    if (n == 0) {
                        return;
                    }
                    append(in.readNBytes(n));
                    line(in);
                }
            } else if (length >= 0) {
                append(in.readNBytes((int) length));
            } else {
                byte[] buf = new byte[8192];
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                    byte[] part = new byte[n];
                    System.arraycopy(buf, 0, part, 0, n);
                    append(part);
                }
            }
        } catch (IOException e) {
            synchronized (lock) {
                failure = e;
            }
        } finally {
            synchronized (lock) {
                ended = true;
                lock.notifyAll();
            }
        }
    }

    private void append(byte[] bytes) {
        synchronized (lock) {
            body.write(bytes, 0, bytes.length);
            lock.notifyAll();
        }
    }

    /** A CRLF- or LF-ended header line, or null at the end of the input. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream l = new ByteArrayOutputStream();
        for (int b = in.read(); ; b = in.read()) {
            if (b < 0) {
                return l.size() == 0 ? null : l.toString(StandardCharsets.ISO_8859_1);
            }
            if (b == '\n') {
                String s = l.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            l.write(b);
        }
    }

    /** Waits for the status line and headers; returns the status. */
    int awaitHeaders(Duration timeout) throws InterruptedException {
        synchronized (lock) {
            waitFor(timeout, () -> status >= 0 || ended, "the response headers");
            if (status < 0) {
                throw new AssertionError("the connection ended before any response", failure);
            }
            return status;
        }
    }

    /** A response header by name in any case, or null. */
    String header(String name) {
        synchronized (lock) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** When the headers arrived, by {@link System#nanoTime()}. */
    long headersAtNanos() {
        synchronized (lock) {
            return headersAtNanos;
        }
    }

    /** Waits until the body read so far, as UTF-8, satisfies {@code done}; returns it. */
    String awaitBody(Predicate<String> done, Duration timeout, String what) throws InterruptedException {
        synchronized (lock) {
            waitFor(timeout, () -> done.test(body.toString(StandardCharsets.UTF_8)), what);
            return body.toString(StandardCharsets.UTF_8);
        }
    }

    /** Waits until the body read so far contains {@code text}; returns it. */
    String awaitBodyContaining(String text, Duration timeout) throws InterruptedException {
        return awaitBody(b -> b.contains(text), timeout, "the body to contain " + text.replace("\n", "\\n"));
    }

    /** Waits until the server ends the response or the connection; returns the whole body. */
    String awaitEnd(Duration timeout) throws InterruptedException {
        synchronized (lock) {
            waitFor(timeout, () -> ended, "the end of the response");
            return body.toString(StandardCharsets.UTF_8);
        }
    }

    /** The events (frames that are not comments) read so far, each with its blank line. */
    java.util.List<String> events() {
        java.util.List<String> out = new java.util.ArrayList<>();
        String b = body();
        int from = 0;
        for (int end = b.indexOf("\n\n", from); end >= 0; end = b.indexOf("\n\n", from)) {
            String frame = b.substring(from, end + 2);
            if (!frame.startsWith(":")) {
                out.add(frame);
            }
            from = end + 2;
        }
        return out;
    }

    /** Waits until {@code n} events have arrived; returns them all. */
    java.util.List<String> awaitEvents(int n, Duration timeout) throws InterruptedException {
        synchronized (lock) {
            waitFor(timeout, () -> events().size() >= n, n + " events");
            return events();
        }
    }

    boolean ended() {
        synchronized (lock) {
            return ended;
        }
    }

    /** The body as read so far. */
    String body() {
        synchronized (lock) {
            return body.toString(StandardCharsets.UTF_8);
        }
    }

    /** The body's bytes as read so far. */
    byte[] bodyBytes() {
        synchronized (lock) {
            return body.toByteArray();
        }
    }

    private void waitFor(Duration timeout, java.util.function.BooleanSupplier condition, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what
                        + "; status " + status + ", " + body.size() + " body bytes so far, ending \"" + tail()
                        + "\"" + (ended ? " (ended)" : ""));
            }
            TimeUnit.NANOSECONDS.timedWait(lock, left);
        }
    }

    private String tail() {
        String b = body.toString(StandardCharsets.UTF_8);
        return b.substring(Math.max(0, b.length() - 300)).replace("\r", "\\r").replace("\n", "\\n");
    }

    /** Drops the connection with a TCP reset, as a client that vanished. */
    void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
