package dev.sse.spring.boot;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A stream read from a plain socket: HTTP/1.0, so the body is the raw event stream and ends with the connection. */
final class RawSseClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final StringBuilder received = new StringBuilder();
    private boolean eof;

    RawSseClient(int port, String path) throws IOException {
        this("GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n", port);
    }

    private RawSseClient(String request, int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
        socket.getOutputStream().flush();
        in = socket.getInputStream();
    }

    /** A POST with a text body, as an LLM client sends a prompt. */
    static RawSseClient post(int port, String path, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return new RawSseClient("POST " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                + "Content-Type: text/plain;charset=utf-8\r\nContent-Length: " + bytes.length + "\r\n\r\n" + body, port);
    }

    /** @return what arrived after the response head, once the head is complete */
    String body() {
        int end = received.indexOf("\r\n\r\n");
        return end < 0 ? "" : received.substring(end + 4);
    }

    /** Ends the connection with a TCP reset, as a killed client or a dropped network does. */
    void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    /** Reads until what arrived contains {@code expected}; fails after {@code timeout}. */
    String awaitContains(String expected, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (received.indexOf(expected) < 0) {
            if (!readSome(deadline)) {
                throw new AssertionError("no \"" + expected.replace("\n", "\\n") + "\" within " + timeout
                        + (eof ? " (stream ended)" : "") + "; got: " + received.toString().replace("\n", "\\n"));
            }
        }
        return received.toString();
    }

    /** Reads until the server closes the connection; fails after {@code timeout}. */
    String awaitEnd(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!eof) {
            if (!readSome(deadline) && !eof) {
                throw new AssertionError("stream still open after " + timeout + "; got: " + received);
            }
        }
        return received.toString();
    }

    private boolean readSome(long deadline) throws IOException {
        if (eof) {
            return false;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return false;
        }
        socket.setSoTimeout((int) Math.max(1, Duration.ofNanos(left).toMillis()));
        byte[] buf = new byte[8192];
        try {
            int n = in.read(buf);
            if (n < 0) {
                eof = true;
                return false;
            }
            received.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
