package dev.sse.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.SseEvent;
import dev.sse.core.SseFrame;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.junit.jupiter.api.Test;

/** The suite on embedded Jetty 12 ee10, plus what only Jetty's connector offers here: HTTP/2 (h2c). */
class JettySseServletTest extends AbstractSseServletTest {

    @Override
    ServerFixture newServer() {
        return new JettyFixture();
    }

    @Test
    void streamWorksOverHttp2WithoutConnectionHeader() throws Exception {
        start();
        HTTP2Client client = new HTTP2Client();
        client.start();
        try {
            Session session = client.connect(new InetSocketAddress("127.0.0.1", port), new Session.Listener() { })
                    .get(T.toMillis(), TimeUnit.MILLISECONDS);
            MetaData.Request request = new MetaData.Request("GET",
                    HttpURI.from("http://127.0.0.1:" + port + "/events"), HttpVersion.HTTP_2, HttpFields.EMPTY);
            CompletableFuture<MetaData.Response> response = new CompletableFuture<>();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            session.newStream(new HeadersFrame(request, null, true), new Stream.Listener() {
                @Override
                public void onHeaders(Stream stream, HeadersFrame frame) {
                    response.complete((MetaData.Response) frame.getMetaData());
                    stream.demand();
                }

                @Override
                public void onDataAvailable(Stream stream) {
                    Stream.Data data = stream.readData();
                    if (data != null) {
                        ByteBuffer b = data.frame().getByteBuffer();
                        byte[] bytes = new byte[b.remaining()];
                        b.get(bytes);
                        synchronized (body) {
                            body.write(bytes, 0, bytes.length);
                        }
                        data.release();
                    }
                    stream.demand();
                }
            }).get(T.toMillis(), TimeUnit.MILLISECONDS);

            MetaData.Response head = response.get(T.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(head.getStatus()).isEqualTo(200);
            assertThat(head.getHttpFields().get("content-type")).matches("(?i)text/event-stream; ?charset=utf-8");
            assertThat(head.getHttpFields().get("connection")).isNull();
            awaitChannels(1);

            SseEvent event = SseEvent.of("h2", "over one multiplexed connection");
            hub.broadcast(event);
            String expected = SseFrame.of(event.withId("1")).toString();
            await("the event over HTTP/2", () -> {
                synchronized (body) {
                    return body.toString(StandardCharsets.UTF_8).contains(expected);
                }
            });
        } finally {
            client.stop();
        }
    }
}
