package dev.sse.bench;

/** Runs the encoder JMH benchmarks and renders their table. */
final class EncoderJmh {

    private EncoderJmh() {
    }

    static String run() {
        return "### Encoder (JMH)\n\nnot implemented yet\n";
    }
}
