package dev.sse.vertx;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A real Vert.x server on 127.0.0.1 at a free port, and a raw-socket client, for the module's tests. */
final class VertxServer implements AutoCloseable {

    final Vertx vertx = Vertx.vertx();
    final int port;

    VertxServer(Consumer<Router> routes) throws Exception {
        Router router = Router.router(vertx);
        routes.accept(router);
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(router).listen().await(10, TimeUnit.SECONDS);
        this.port = server.actualPort();
    }

    /** Opens a socket and sends a request; the caller reads. */
    Socket send(String method, String target, String headers, String body) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(5000);
        byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        String head = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n" + headers
                + (body == null ? "" : "Content-Length: " + b.length + "\r\n") + "\r\n";
        OutputStream out = socket.getOutputStream();
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(b);
        out.flush();
        return socket;
    }

    /** Reads until {@code text} has arrived (or the deadline of the socket's timeout), returning all read so far. */
    static String readUntil(Socket socket, String text) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            String s = seen.toString(StandardCharsets.UTF_8);
            if (s.contains(text)) {
                return s;
            }
            int n = in.read(buf);
            if (n < 0) {
                break;
            }
            seen.write(buf, 0, n);
        }
        throw new AssertionError("never saw " + text + " in:\n" + seen.toString(StandardCharsets.UTF_8));
    }

    /** Reads to the end of the stream (the server closed it). */
    static String readToEnd(Socket socket) throws IOException {
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }
}
