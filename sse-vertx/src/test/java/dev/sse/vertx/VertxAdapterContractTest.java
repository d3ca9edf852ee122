package dev.sse.vertx;

import dev.sse.tck.AdapterContractTest;
import dev.sse.tck.AdapterFixture;

/** The adapter test kit on a real Vert.x 5 server. */
class VertxAdapterContractTest extends AdapterContractTest {

    @Override
    protected AdapterFixture fixture() {
        return new VertxTckFixture();
    }
}
