package dev.sse.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP/1.1 server on a raw socket that answers each connection with a script writing exact bytes, and records
 * every request. Every response carries {@code Connection: close}, so each request arrives on its own connection and
 * a script's end is the stream's end.
 */
final class ScriptedServer implements AutoCloseable {

    interface Script {
        void run(Exchange exchange) throws Exception;
    }

    /** A request as it arrived: method, target, headers (names lower-cased) and body. */
    static final class Request {
        final String method;
        final String target;
        final Map<String, String> headers;
        final String body;

        Request(String method, String target, Map<String, String> headers, String body) {
            this.method = method;
            this.target = target;
            this.headers = headers;
            this.body = body;
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        @Override
        public String toString() {
            return method + " " + target + " " + headers;
        }
    }

    /** One connection: the request and the raw output. */
    final class Exchange {
        final Request request;
        final int index;
        private final Socket socket;
        private final OutputStream out;

        Exchange(Request request, int index, Socket socket) throws IOException {
            this.request = request;
            this.index = index;
            this.socket = socket;
            this.out = socket.getOutputStream();
        }

        void head(int status, String... headers) throws IOException {
            StringBuilder sb = new StringBuilder("HTTP/1.1 ").append(status).append(" Status\r\n");
            for (String h : headers) {
                sb.append(h).append("\r\n");
            }
            sb.append("Connection: close\r\n\r\n");
            write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
        }

        void stream() throws IOException {
            head(200, "Content-Type: text/event-stream");
        }

        void send(String text) throws IOException {
            write(text.getBytes(StandardCharsets.UTF_8));
        }

        void write(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
            written.addAndGet(bytes.length);
        }

        /** Writes one byte per write call, flushing each. */
        void trickle(byte[] bytes) throws IOException {
            for (byte b : bytes) {
                write(new byte[] {b});
            }
        }

        /** Blocks until the client closes the connection, or fails after the timeout. */
        void awaitClientClose(Duration timeout) throws IOException {
            socket.setSoTimeout((int) timeout.toMillis());
            InputStream in = socket.getInputStream();
            byte[] sink = new byte[1024];
            try {
                while (in.read(sink) >= 0) {
                    // discard
                }
            } catch (SocketException e) {
                // reset by the client: closed too
            }
            clientClosed.add(index);
        }
    }

    private final ServerSocket server;
    private final List<Script> scripts;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "scripted-server");
        t.setDaemon(true);
        return t;
    });
    final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    final BlockingQueue<Integer> clientClosed = new LinkedBlockingQueue<>();
    final AtomicLong written = new AtomicLong();
    final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();

    /** Connection i runs script i; connections past the last run the last script. */
    ScriptedServer(Script... scripts) throws IOException {
        this.scripts = List.of(scripts);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::accept);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + path);
    }

    URI uri() {
        return uri("/events");
    }

    Request takeRequest() throws InterruptedException {
        Request r = requests.poll(10, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("no request within 10 s");
        }
        return r;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                socket.setTcpNoDelay(true);
                int index = connections.getAndIncrement();
                threads.execute(() -> serve(socket, index));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket, int index) {
        try (socket) {
            Request request;
            try {
                request = readRequest(socket.getInputStream());
            } catch (IOException e) {
                return; // the client gave up before its request was complete, e.g. closed while connecting
            }
            requests.add(request);
            Script script = scripts.get(Math.min(index, scripts.size() - 1));
            script.run(new Exchange(request, index, socket));
        } catch (SocketException e) {
            // the client went away mid-script; tests check what they need
        } catch (Throwable e) {
            failures.add(e);
        }
    }

    private static Request readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed inside the request head");
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3))
                    ? state + 1 : (b == '\r' ? 1 : 0);
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        String[] requestLine = lines[0].split(" ");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.merge(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).strip(), (a, b) -> a + ", " + b);
            }
        }
        String body = "";
        String length = headers.get("content-length");
        if (length != null) {
            body = new String(in.readNBytes(Integer.parseInt(length)), StandardCharsets.UTF_8);
        }
        return new Request(requestLine[0], requestLine[1], headers, body);
    }

    List<Request> drainRequests() {
        List<Request> all = new ArrayList<>();
        requests.drainTo(all);
        return all;
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError("server script failed");
            failures.forEach(e::addSuppressed);
            throw e;
        }
    }
}
