package dev.sse.bench.server;

import java.util.Locale;

/** The servers compared, in table order. */
public enum ServerKind {
    /** Ours: {@code dev.sse.servlet.SseServlet} over a {@code dev.sse.core.Hub}, both with defaults, on Jetty. */
    OURS("ours (SseServlet)"),
    /** Spring MVC {@code SseEmitter} on Jetty. */
    SPRING("Spring SseEmitter"),
    /** Jersey {@code SseBroadcaster} on Jetty. */
    JERSEY("Jersey SseBroadcaster"),
    /** Ours on Spring WebFlux: {@code dev.sse.webflux.SseHandler} on Reactor Netty. */
    WEBFLUX("ours (WebFlux SseHandler)"),
    /** Ours on Vert.x 5: {@code dev.sse.vertx.SseHandler}. */
    VERTX("ours (Vert.x SseHandler)"),
    /** Spring's own {@code Flux<ServerSentEvent>} from a multicast sink, on Reactor Netty. */
    SPRING_FLUX("Spring Flux<ServerSentEvent>"),
    /**
     * The real Jetty demo ({@code sse-examples}), driven only through its HTTP API: readers {@code GET} and
     * broadcasts {@code POST} {@code /api/v1/notifications}. Memory and fan-out only.
     */
    DEMO("demo (sse-examples, HTTP API)"),
    /** A raw NIO server with no framework: the floor. */
    RAW("raw NIO (floor)");

    private final String label;

    ServerKind(String label) {
        this.label = label;
    }

    /** @return the name printed in tables */
    public String label() {
        return label;
    }

    /** @return the path its clients {@code GET} */
    public String path() {
        return this == DEMO ? DemoBenchServer.NOTIFICATIONS : BenchServer.PATH;
    }

    /** @return whether the bench publishes to it over HTTP ({@code POST} {@link #path()}), not by a control command */
    public boolean publishesOverHttp() {
        return this == DEMO;
    }

    /** @return the name used on the command line */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return a new, unstarted server of this kind */
    public BenchServer create() {
        switch (this) {
            case OURS:
                return new SseServletServer();
            case WEBFLUX:
                return new WebFluxServer();
            case VERTX:
                return new VertxServer();
            case SPRING_FLUX:
                return new SpringFluxServer();
            case SPRING:
                return new SpringEmitterServer();
            case JERSEY:
                return new JerseyBroadcasterServer();
            case DEMO:
                return new DemoBenchServer();
            case RAW:
                return new RawNioServer();
            default:
                throw new AssertionError(this);
        }
    }

    /**
     * @param name a command-line name, e.g. {@code ours}
     * @return the kind
     */
    public static ServerKind parse(String name) {
        return valueOf(name.trim().toUpperCase(Locale.ROOT));
    }
}
