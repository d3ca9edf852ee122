package dev.sse.servlet;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/** A raw HTTP/1.1 client on a real socket: reads the head, de-chunks the body and splits it on blank lines. */
final class SseClient implements AutoCloseable {

    final Socket socket;
    private final InputStream in;
    private final byte[] one = new byte[8192];
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private int status;
    private final Map<String, List<String>> headers = new LinkedHashMap<>();
    private boolean chunked;
    private long contentLeft = -1;
    private long chunkLeft;
    private boolean eof;

    private SseClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
    }

    static SseClient get(int port, String target, String... headerLines) throws IOException {
        return request(port, "GET", target, s -> { }, headerLines);
    }

    static SseClient request(int port, String method, String target, Consumer<Socket> configure, String... headerLines)
            throws IOException {
        Socket socket = new Socket();
        configure.accept(socket);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        SseClient c = new SseClient(socket);
        StringBuilder req = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n");
        for (String h : headerLines) {
            req.append(h).append("\r\n");
        }
        req.append("\r\n");
        OutputStream out = socket.getOutputStream();
        out.write(req.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
        return c;
    }

    /** Sends a request whose header bytes are given raw, e.g. a UTF-8 Last-Event-ID. */
    static SseClient rawRequest(int port, byte[] request) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.getOutputStream().write(request);
        return new SseClient(socket);
    }

    /** Reads the status line and headers. */
    SseClient head(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the response head: " + h);
            }
            h.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String[] lines = h.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        status = Integer.parseInt(lines[0].split(" ")[1]);
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(lines[i].substring(colon + 1).trim());
            }
        }
        chunked = "chunked".equalsIgnoreCase(header("transfer-encoding"));
        String length = header("content-length");
        contentLeft = length == null ? -1 : Long.parseLong(length);
        if (contentLeft == 0) {
            eof = true;
        }
        return this;
    }

    int status() {
        return status;
    }

    String header(String name) {
        List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
        return v == null ? null : String.join(", ", v);
    }

    /** @return the next frame including its terminating blank line, or {@code null} at the end of the stream */
    String nextFrame(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (;;) {
            byte[] b = body.toByteArray();
            for (int i = 0; i + 1 < b.length; i++) {
                if (b[i] == '\n' && b[i + 1] == '\n') {
                    String frame = new String(b, 0, i + 2, StandardCharsets.UTF_8);
                    body.reset();
                    body.write(b, i + 2, b.length - i - 2);
                    return frame;
                }
            }
            if (eof) {
                return null;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("no frame within " + timeout + "; have " + body);
            }
            socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
            fill();
        }
    }

    /** @return the whole body of a response that ends (an error answer), read within the timeout */
    String readBody(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!eof) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("body did not end within " + timeout + "; have " + body);
            }
            socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
            fill();
        }
        return body.toString(StandardCharsets.UTF_8);
    }

    /** Like {@link #nextFrame} but skips keep-alive comments. */
    String nextEvent(Duration timeout) throws IOException {
        for (;;) {
            String f = nextFrame(timeout);
            if (f == null || !f.startsWith(":")) {
                return f;
            }
        }
    }

    /** @return true if the stream ended (cleanly or by reset) within the timeout, skipping whatever arrives */
    boolean awaitEnd(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (!eof) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                fill();
                body.reset();
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private void fill() throws IOException {
        if (chunked) {
            if (chunkLeft == 0) {
                String size = line();
                if (size == null) {
                    eof = true;
                    return;
                }
                if (size.isEmpty()) {
                    size = line();
                }
                chunkLeft = Long.parseLong(size.split(";")[0].trim(), 16);
                if (chunkLeft == 0) {
                    eof = true;
                    return;
                }
            }
            int n = in.read(one, 0, (int) Math.min(one.length, chunkLeft));
            if (n < 0) {
                eof = true;
                return;
            }
            chunkLeft -= n;
            body.write(one, 0, n);
            // The CRLF that ends a chunk is not read here: Jetty sends it only with the next chunk, so waiting for it
            // would hold back an event that has fully arrived. The next size line skips it.
        } else {
            int max = contentLeft < 0 ? one.length : (int) Math.min(one.length, contentLeft);
            int n = in.read(one, 0, max);
            if (n < 0) {
                eof = true;
                return;
            }
            body.write(one, 0, n);
            if (contentLeft > 0) {
                contentLeft -= n;
                if (contentLeft == 0) {
                    eof = true;
                }
            }
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream l = new ByteArrayOutputStream();
        for (;;) {
            int b = in.read();
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

    /** Closes with a reset instead of a FIN. */
    void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
