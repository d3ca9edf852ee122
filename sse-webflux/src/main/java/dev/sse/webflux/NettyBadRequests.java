package dev.sse.webflux;

import dev.sse.core.http.Decision;
import dev.sse.core.http.Json;
import dev.sse.core.http.RequestText;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;

/**
 * Answers the malformed requests that Reactor Netty and WebFlux refuse before any handler runs with the JSON errors
 * every other adapter sends, instead of an empty {@code 400}: a request target that is not a URI (a malformed
 * percent-escape in the query: {@code 400 {"error":"event has a malformed percent-escape at index 0","field":"event"}})
 * and a malformed chunked body ({@code 400 {"error":"malformed chunked body","field":"body"}}). The connection is
 * closed after the answer.
 *
 * <pre>{@code
 * HttpServer server = NettyBadRequests.install(HttpServer.create());
 * // Spring Boot: @Bean NettyServerCustomizer jsonBadRequests() { return NettyBadRequests::install; }
 * }</pre>
 */
public final class NettyBadRequests {

    private static final Logger LOG = LoggerFactory.getLogger(NettyBadRequests.class);
    private static final String NAME = "dev.sse.badRequests";

    private NettyBadRequests() {
    }

    /**
     * Adds the handler to every connection of the server (HTTP/1.1).
     *
     * @param server the server
     * @return the server, configured
     */
    public static HttpServer install(HttpServer server) {
        return server.doOnChannelInit((observer, channel, address) -> {
            if (channel.pipeline().get(NettyPipeline.HttpCodec) != null && channel.pipeline().get(NAME) == null) {
                channel.pipeline().addAfter(NettyPipeline.HttpCodec, NAME, new Handler());
            }
        });
    }

    /** One per connection: sees each request before Reactor Netty does; the channel's event loop only. */
    private static final class Handler extends ChannelDuplexHandler {
        /** The rest of a refused request is dropped. */
        private boolean discarding;
        /** A response has begun on this connection's current request: a late failure can only close it. */
        private boolean responding;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (discarding) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof HttpRequest request && request.decoderResult().isSuccess()) {
                responding = false;
                String refusal = badTarget(request.uri());
                if (refusal != null) {
                    ReferenceCountUtil.release(msg);
                    answer(ctx, refusal);
                    return;
                }
            } else if (msg instanceof HttpContent content && content.decoderResult().isFailure() && !responding) {
                LOG.debug("malformed chunked body: {}", content.decoderResult().cause().toString());
                ReferenceCountUtil.release(msg);
                answer(ctx, Json.error("malformed chunked body", "body"));
                return;
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, io.netty.channel.ChannelPromise promise) {
            if (msg instanceof HttpResponse) {
                responding = true;
            }
            if (msg instanceof LastHttpContent) {
                responding = false;
            }
            ctx.write(msg, promise);
        }

        private void answer(ChannelHandlerContext ctx, String json) {
            discarding = true;
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
                    Unpooled.wrappedBuffer(body));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** @return the JSON refusal of a request target WebFlux could not take as a URI, or {@code null} if it can */
    static String badTarget(String uri) {
        try {
            new URI(uri);
            return null;
        } catch (URISyntaxException e) {
            int q = uri.indexOf('?');
            if (q >= 0) {
                Decision<?> query = RequestText.query(uri.substring(q + 1));
                if (!query.accepted()) {
                    return query.refusal().bodyText();
                }
            }
            return Json.error("the request target is not a valid URI: " + e.getReason(), "uri");
        }
    }
}
