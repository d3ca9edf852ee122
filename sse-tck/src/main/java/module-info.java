/**
 * The adapter test kit: the contract every server runtime adapter of dev.sse keeps, as JUnit 5 tests over real
 * sockets.
 */
module dev.sse.tck {
    requires transitive dev.sse.core;
    requires transitive org.junit.jupiter.api;
    requires org.assertj.core;
    requires java.net.http;

    exports dev.sse.tck;
    // JUnit instantiates the adapters' subclasses and calls the kit's package-private test methods reflectively.
    opens dev.sse.tck to org.junit.platform.commons;
}
