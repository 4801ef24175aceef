package dev.streamfit.http.internal;

import dev.streamfit.http.HttpFront;
import dev.streamfit.http.HttpLimits;
import dev.streamfit.http.RequestHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/** How a front's connections are set up: what they share, and the handlers each one gets. Stateless. */
public final class Channels {
  private Channels() {}

  /** What every connection of one front shares. */
  public record Shared(HttpLimits limits, int maxBodyBytes, String bodyCap, ByteBudget budget, Executor workers,
      RequestHandler handler, HttpFront.Listener listener, AtomicInteger connections) {}

  /** Adds a connection's handlers to {@code p}. */
  public static void install(ChannelPipeline p, Shared shared) {
    Connection c = new Connection(shared);
    HttpDecoderConfig cfg = new HttpDecoderConfig().setMaxInitialLineLength(Math.min(8192, shared.limits().maxHeaderBytes()))
        .setMaxHeaderSize(shared.limits().maxHeaderBytes()).setMaxChunkSize(64 * 1024);
    p.addLast("bytes", new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        c.bytesArrived();
        ctx.fireChannelRead(msg);
      }
    });
    p.addLast("codec", new HttpServerCodec(cfg));
    p.addLast("front", c);
  }
}
