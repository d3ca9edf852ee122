package dev.sse.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} of the test's own on a loopback port it picked, with no persistence, so that a test can
 * pause ({@code SIGSTOP}), continue, kill and restart it. Always destroyed by {@link #close()}.
 */
final class RedisServer implements AutoCloseable {

    final int port;
    private final Path dir;
    private Process process;

    private RedisServer(int port, Path dir) {
        this.port = port;
        this.dir = dir;
    }

    static RedisServer start() throws IOException, InterruptedException {
        int port;
        // --port 0 disables TCP in Redis: pick a free port ourselves.
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        RedisServer server = new RedisServer(port, Files.createTempDirectory("sse-redis-test"));
        server.launch();
        return server;
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    private void launch() throws IOException, InterruptedException {
        process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--protected-mode", "no")
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                if ("+PONG".equals(command("PING"))) {
                    return;
                }
            } catch (IOException notYet) {
                if (!process.isAlive()) {
                    throw new IOException("redis-server exited: " + Files.readString(dir.resolve("redis.log")));
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("redis-server did not answer on port " + port);
            }
            Thread.sleep(20);
        }
    }

    /** Sends one inline command and returns the first line of the reply. */
    String command(String... words) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            StringBuilder req = new StringBuilder("*" + words.length + "\r\n");
            for (String w : words) {
                req.append('$').append(w.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(w)
                        .append("\r\n");
            }
            out.write(req.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder line = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0 && b != '\r') {
                line.append((char) b);
            }
            return line.toString();
        }
    }

    /** The integer of a {@code :n} reply. */
    long integer(String... words) throws IOException {
        String reply = command(words);
        if (!reply.startsWith(":")) {
            throw new IOException("not an integer reply: " + reply);
        }
        return Long.parseLong(reply.substring(1));
    }

    /** How many times Redis ran {@code cmd} since start, from INFO commandstats. */
    long calls(String cmd) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(2000);
            s.getOutputStream().write("INFO commandstats\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String header = readLine(in);
            int len = Integer.parseInt(header.substring(1));
            byte[] body = in.readNBytes(len);
            for (String l : new String(body, StandardCharsets.UTF_8).split("\r\n")) {
                if (l.startsWith("cmdstat_" + cmd + ":calls=")) {
                    String v = l.substring(("cmdstat_" + cmd + ":calls=").length());
                    return Long.parseLong(v.substring(0, v.indexOf(',')));
                }
            }
            return 0;
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                sb.append((char) b);
            }
        }
        return sb.toString();
    }

    void pause() throws IOException, InterruptedException {
        signal("-STOP");
    }

    void resume() throws IOException, InterruptedException {
        signal("-CONT");
    }

    private void signal(String sig) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", sig, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill " + sig + " failed");
        }
    }

    /** Kills it outright and starts a new, empty one on the same port. */
    void restartEmpty() throws IOException, InterruptedException {
        kill();
        launch();
    }

    /** Starts it again, empty, after {@link #kill()}. */
    void startAgain() throws IOException, InterruptedException {
        launch();
    }

    void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            signalQuietly("-CONT");
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private void signalQuietly(String sig) {
        try {
            signal(sig);
        } catch (IOException | InterruptedException e) {
            // The process is being killed anyway.
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
