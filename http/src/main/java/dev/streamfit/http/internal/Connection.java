package dev.streamfit.http.internal;

import dev.streamfit.http.HttpError;
import dev.streamfit.http.HttpFront;
import dev.streamfit.http.HttpLimits;
import dev.streamfit.http.Request;
import dev.streamfit.http.Response;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's request cycle on its event loop: headers within their deadline, admission (header count, body
 * cap, byte budget), the body within its deadline, then the whole request to a worker and its answer back. All
 * fields are confined to the channel's event loop; workers hand answers back through it.
 */
final class Connection extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(HttpFront.class);
  /** How long a connection refused for broken framing keeps reading (and dropping) before it closes. */
  private static final long LINGER_MS = 2_000;

  private enum State { IDLE, HEADERS, BODY, PROCESSING, DISCARD, CLOSING }

  private final Channels.Shared shared;
  private State state = State.IDLE;
  private ScheduledFuture<?> deadline;
  private HttpRequest head;
  private final Body body;
  private boolean keepAlive;
  private boolean bytesWhileBusy;
  private boolean counted;
  private ChannelHandlerContext self;
  private final ArrayDeque<Object> pending = new ArrayDeque<>();

  Connection(Channels.Shared shared) {
    this.body = new Body(shared.budget(), shared.maxBodyBytes());
    this.shared = shared;
  }

  // ---- lifecycle ----

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    counted = true;
    if (shared.connections().incrementAndGet() > shared.limits().maxConnections()) {
      shared.listener().rejected("too_many_connections");
      ctx.close();
      return;
    }
    arm(ctx, shared.limits().idleTimeout().toMillis());
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    body.drop();
    releasePending();
    if (counted) {
      shared.connections().decrementAndGet();
      counted = false;
    }
    state = State.CLOSING;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException) {
      LOG.debug("connection {} dropped: {}", ctx.channel().remoteAddress(), cause.toString());
    } else {
      LOG.warn("connection {} failed", ctx.channel().remoteAddress(), cause);
    }
    ctx.close();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    self = ctx;
  }

  /** A half-close: what came before is answered in order, then a request cut short gets a 400, an idle one closes. */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      if (state == State.PROCESSING || !pending.isEmpty()) {
        pending.add(evt);
      } else {
        inputShutdown(ctx);
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  private void inputShutdown(ChannelHandlerContext ctx) {
    switch (state) {
      case BODY -> fail(ctx, 400, "bad_request", (body.isChunked() ? "chunked body without its last chunk"
          : "body shorter than its Content-Length (" + body.received() + " of " + body.declared() + " bytes)")
          + " when the client closed its side of the connection");
      case HEADERS -> fail(ctx, 400, "bad_request", "the client closed its side of the connection inside a request head");
      case CLOSING -> { } // answered; the linger closes it
      default -> ctx.close(); // idle, or a refusal answered
    }
  }

  void bytesArrived() {
    ChannelHandlerContext ctx = self;
    if (state == State.IDLE) {
      state = State.HEADERS;
      arm(ctx, shared.limits().headerTimeout().toMillis());
    } else if (state == State.PROCESSING) {
      bytesWhileBusy = true;
    }
  }

  // ---- reading ----

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (state == State.PROCESSING || !pending.isEmpty()) {
      pending.add(msg); // pipelined: answered in order once the current request is
      return;
    }
    dispatch(ctx, msg);
  }

  private void dispatch(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ChannelInputShutdownEvent) {
      inputShutdown(ctx);
      return;
    }
    try {
      if (msg instanceof HttpRequest r) {
        onHead(ctx, r);
      }
      if (msg instanceof HttpContent c) {
        onContent(ctx, c);
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void onHead(ChannelHandlerContext ctx, HttpRequest r) {
    if (state == State.CLOSING || state == State.DISCARD) {
      return;
    }
    HttpLimits limits = shared.limits();
    HttpError broken = Framing.headError(r, limits);
    if (broken != null) {
      fail(ctx, broken.status(), broken.code(), broken.getMessage());
      return;
    }
    if (r.headers().size() > limits.maxHeaders()) {
      fail(ctx, 431, "too_many_headers", "request has " + r.headers().size() + " header fields, above http.max-headers="
          + limits.maxHeaders() + " (set --http-max-headers)");
      return;
    }
    keepAlive = HttpUtil.isKeepAlive(r);
    boolean isChunked = HttpUtil.isTransferEncodingChunked(r);
    long length;
    try {
      length = Framing.declaredLength(r);
    } catch (HttpError e) {
      fail(ctx, e.status(), e.code(), e.getMessage());
      return;
    }
    if (length > shared.maxBodyBytes()) {
      refuse(ctx, r, 413, "too_large", "request body of " + length + " bytes exceeds " + shared.bodyCap());
      return;
    }
    long want = Math.max(0, length);
    if (!shared.budget().tryReserve(want)) {
      refuse(ctx, r, 429, "overloaded", "request bodies in flight would exceed http.max-inflight-bytes="
          + shared.budget().cap() + "; retry later");
      return;
    }
    head = r;
    body.start(want, isChunked);
    if (HttpUtil.is100ContinueExpected(r)) {
      ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
    }
    state = State.BODY;
    arm(ctx, limits.bodyTimeout().toMillis());
  }

  private void onContent(ChannelHandlerContext ctx, HttpContent c) {
    if (state == State.DISCARD) {
      if (c instanceof LastHttpContent) {
        ctx.close();
      }
      return;
    }
    if (state != State.BODY) {
      return;
    }
    if (c.decoderResult().isFailure()) {
      fail(ctx, 400, "bad_request", "malformed request body framing: " + c.decoderResult().cause().getMessage());
      return;
    }
    switch (body.append(c.content())) {
      case LONGER_THAN_DECLARED -> {
        fail(ctx, 400, "bad_request", "body longer than its Content-Length");
        return;
      }
      case TOO_LARGE -> {
        body.drop();
        refuse(ctx, head, 413, "too_large", "request body exceeds " + shared.bodyCap());
        return;
      }
      case OVER_BUDGET -> {
        body.drop();
        refuse(ctx, head, 429, "overloaded", "request bodies in flight would exceed http.max-inflight-bytes="
            + shared.budget().cap() + "; retry later");
        return;
      }
      case OK -> { }
    }
    if (c instanceof LastHttpContent) {
      if (!body.whole()) {
        fail(ctx, 400, "bad_request", "body shorter than its Content-Length");
        return;
      }
      complete(ctx);
    }
  }

  // ---- handing over and answering ----

  private void complete(ChannelHandlerContext ctx) {
    cancel();
    Body.Taken taken = body.take();
    long hold = taken.reserved();
    Request request;
    try {
      request = Messages.request(head, taken.bytes(), (InetSocketAddress) ctx.channel().remoteAddress());
    } catch (IllegalArgumentException e) {
      shared.budget().release(hold);
      fail(ctx, 400, "bad_request", "malformed request URI: " + e.getMessage());
      return;
    }
    state = State.PROCESSING;
    bytesWhileBusy = false;
    ctx.channel().config().setAutoRead(false);
    try {
      shared.workers().execute(() -> {
        Response answer;
        try {
          answer = shared.handler().handle(request);
        } catch (HttpError e) {
          shared.listener().rejected(e.code());
          answer = e.toResponse();
        } catch (Throwable t) {
          LOG.warn("request {} {} failed", request.method(), request.path(), t);
          answer = Response.error(500, "internal_error", t.toString());
        } finally {
          shared.budget().release(hold);
        }
        Response a = answer;
        try {
          ctx.executor().execute(() -> respond(ctx, a));
        } catch (RejectedExecutionException closing) {
          // the server is stopping: the connection goes with it
        }
      });
    } catch (RejectedExecutionException e) {
      shared.budget().release(hold);
      shared.listener().rejected("overloaded");
      respond(ctx, Response.error(503, "overloaded", "every request worker is busy and the queue is full; retry later")
          .with("Retry-After", "1"));
    }
  }

  private void respond(ChannelHandlerContext ctx, Response answer) {
    if (!ctx.channel().isActive()) {
      return;
    }
    boolean close = !keepAlive;
    ChannelFuture f = ctx.writeAndFlush(Messages.toNetty(answer, close));
    ScheduledFuture<?> writeDeadline = ctx.executor().schedule(() -> {
      if (!f.isDone()) {
        LOG.debug("connection {}: response not taken within http.write-timeout-ms", ctx.channel().remoteAddress());
        ctx.close();
      }
    }, shared.limits().writeTimeout().toMillis(), TimeUnit.MILLISECONDS);
    f.addListener((ChannelFutureListener) done -> {
      writeDeadline.cancel(false);
      if (close || !done.isSuccess()) {
        ctx.close();
        return;
      }
      state = State.IDLE;
      head = null;
      if (bytesWhileBusy) {
        state = State.HEADERS;
        arm(ctx, shared.limits().headerTimeout().toMillis());
      } else {
        arm(ctx, shared.limits().idleTimeout().toMillis());
      }
      ctx.channel().config().setAutoRead(true);
      while (!pending.isEmpty() && state != State.PROCESSING && state != State.CLOSING && ctx.channel().isActive()) {
        dispatch(ctx, pending.poll());
      }
    });
  }

  // ---- refusals and deadlines ----

  /**
   * Answers and keeps reading (dropping) the rest of a well-framed request, then closes: the client has sent its
   * body by the time the connection goes, so it reads the answer instead of a reset.
   */
  private void refuse(ChannelHandlerContext ctx, HttpRequest r, int status, String code, String message) {
    shared.listener().rejected(code);
    Response answer = Response.error(status, code, message);
    if (status == 429) {
      answer = answer.with("Retry-After", "1");
    }
    ctx.writeAndFlush(Messages.toNetty(answer, true));
    state = State.DISCARD;
    if (HttpUtil.is100ContinueExpected(r)) {
      ctx.close(); // the client waits for our word before sending the body: there is nothing to drain
      return;
    }
    arm(ctx, shared.limits().bodyTimeout().toMillis());
  }

  /** Answers a request that cannot be framed, half-closes, drops what still comes for a moment, then closes. */
  private void fail(ChannelHandlerContext ctx, int status, String code, String message) {
    shared.listener().rejected(code);
    body.drop();
    state = State.CLOSING;
    ctx.writeAndFlush(Messages.toNetty(Response.error(status, code, message), true)).addListener((ChannelFutureListener) f -> {
      if (f.isSuccess() && ctx.channel() instanceof SocketChannel ch && ch.isActive()) {
        ch.shutdownOutput();
        arm(ctx, LINGER_MS);
      } else {
        ctx.close();
      }
    });
  }

  private void arm(ChannelHandlerContext ctx, long millis) {
    cancel();
    State armedFor = state;
    deadline = ctx.executor().schedule(() -> expire(ctx, armedFor), millis, TimeUnit.MILLISECONDS);
  }

  private void cancel() {
    if (deadline != null) {
      deadline.cancel(false);
      deadline = null;
    }
  }

  private void expire(ChannelHandlerContext ctx, State armedFor) {
    if (state != armedFor || !ctx.channel().isActive()) {
      return;
    }
    switch (state) {
      case HEADERS -> timeout(ctx, "request headers not received within http.header-timeout-ms="
          + shared.limits().headerTimeout().toMillis() + " (set --http-header-timeout-ms)");
      case BODY -> timeout(ctx, "request body not received within http.body-timeout-ms="
          + shared.limits().bodyTimeout().toMillis() + " (" + body.received() + " bytes arrived; set --http-body-timeout-ms)");
      default -> ctx.close(); // idle keep-alive, a drained refusal, a linger
    }
  }

  private void timeout(ChannelHandlerContext ctx, String message) {
    shared.listener().rejected("timeout");
    body.drop();
    state = State.CLOSING;
    ctx.writeAndFlush(Messages.toNetty(Response.error(408, "timeout", message), true)).addListener(ChannelFutureListener.CLOSE);
  }

  private void releasePending() {
    while (!pending.isEmpty()) {
      ReferenceCountUtil.release(pending.poll());
    }
  }
}
