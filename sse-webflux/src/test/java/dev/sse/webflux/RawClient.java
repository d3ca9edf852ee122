package dev.sse.webflux;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A raw HTTP/1.1 client on a real socket: writes a request, reads bytes as they come, with deadlines. */
final class RawClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final ByteArrayOutputStream seen = new ByteArrayOutputStream();

    RawClient(int port, String requestLine, String... headers) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(100);
        StringBuilder b = new StringBuilder(requestLine).append("\r\nHost: 127.0.0.1:").append(port).append("\r\n");
        for (String h : headers) {
            b.append(h).append("\r\n");
        }
        b.append("\r\n");
        OutputStream out = socket.getOutputStream();
        out.write(b.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
        in = socket.getInputStream();
    }

    /** Reads until {@code text} has been seen, or fails after {@code millis}. */
    String awaitText(String text, long millis) throws IOException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        byte[] buf = new byte[8192];
        while (!seen().contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("did not see " + text + " within " + millis + " ms; saw: " + seen());
            }
            try {
                int n = in.read(buf);
                if (n < 0) {
                    throw new AssertionError("connection closed before " + text + "; saw: " + seen());
                }
                seen.write(buf, 0, n);
            } catch (SocketTimeoutException e) {
                // Poll again until the deadline.
            }
        }
        return seen();
    }

    /** Reads until the server closes the connection, or fails after {@code millis}. */
    String awaitClose(long millis) throws IOException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        byte[] buf = new byte[8192];
        for (;;) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("connection not closed within " + millis + " ms; saw: " + seen());
            }
            try {
                int n = in.read(buf);
                if (n < 0) {
                    return seen();
                }
                seen.write(buf, 0, n);
            } catch (SocketTimeoutException e) {
                // Poll again until the deadline.
            } catch (IOException reset) {
                return seen();
            }
        }
    }

    String seen() {
        return seen.toString(StandardCharsets.UTF_8);
    }

    /** Drops the connection with a TCP reset, as a killed client would. */
    void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
