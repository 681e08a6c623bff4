using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Mnemo.Memory;

/// <summary>Runs memory commands given as JSON lines: one command object a line in, one result object a line out, in order.</summary>
/// <remarks>
/// Each result is written and flushed as soon as its command is done, so the executor can be driven interactively through a
/// pipe. Blank lines are skipped. A line that is not valid JSON, or longer than <see cref="MaxLineBytes"/>, gets an error
/// result of its own and the run goes on. Memory use is bounded by the longest line, not by the number of commands.
/// </remarks>
public sealed class JsonLinesMemoryExecutor
{
    private static readonly JsonSerializerOptions ContentOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly IMemoryTool _tool;

    /// <summary>Initializes a new instance of the <see cref="JsonLinesMemoryExecutor"/> class.</summary>
    /// <param name="tool">The tool that executes the commands.</param>
    public JsonLinesMemoryExecutor(IMemoryTool tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        _tool = tool;
    }

    /// <summary>Gets or sets the longest line accepted, in bytes.</summary>
    /// <value>64 MiB by default: room for the largest file a command may write, escaped.</value>
    public int MaxLineBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Reads commands until the input ends, writing one result line for each.</summary>
    /// <param name="input">The JSON-lines input, UTF-8.</param>
    /// <param name="output">Where the result lines go, UTF-8.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many commands were run.</returns>
    public async Task<long> RunAsync(Stream input, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLineBytes, 1, nameof(MaxLineBytes));

        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var (start, end, lineNumber, commands, skipping) = (0, 0, 0L, 0L, false);
        try
        {
            while (true)
            {
                var newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    lineNumber++;
                    var line = buffer.AsMemory(start, newline);
                    start += newline + 1;
                    if (skipping || newline > MaxLineBytes)
                    {
                        skipping = false;
                        commands++;
                        await WriteAsync(output, TooLong(lineNumber), cancellationToken).ConfigureAwait(false);
                    }
                    else if (await RunLineAsync(line, output, cancellationToken).ConfigureAwait(false))
                    {
                        commands++;
                    }

                    continue;
                }

                // No whole line is buffered. A partial line already over the limit is dropped as it arrives, up to its end.
                skipping |= end - start > MaxLineBytes;
                if (skipping)
                {
                    (start, end) = (0, 0);
                }
                else if (start > 0)
                {
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    (end, start) = (end - start, 0);
                }

                if (end == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, end).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await input.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    if (skipping || end > start)
                    {
                        lineNumber++;
                        commands++;
                        if (skipping || end - start > MaxLineBytes)
                        {
                            await WriteAsync(output, TooLong(lineNumber), cancellationToken).ConfigureAwait(false);
                        }
                        else if (!await RunLineAsync(buffer.AsMemory(start, end - start), output, cancellationToken).ConfigureAwait(false))
                        {
                            commands--;
                        }
                    }

                    return commands;
                }

                end += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        MemoryToolResult TooLong(long line) => MemoryToolResult.Error(string.Create(CultureInfo.InvariantCulture,
            $"The command on line {line} is longer than the limit of {MaxLineBytes:N0} bytes and was not run."));
    }

    private async ValueTask<bool> RunLineAsync(ReadOnlyMemory<byte> line, Stream output, CancellationToken cancellationToken)
    {
        if (line.Span.Trim(" \t\r"u8).IsEmpty)
        {
            return false;
        }

        MemoryToolResult result;
        JsonDocument? document = null;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException exception)
        {
            result = MemoryToolResult.Error(MemoryMessages.InvalidJson(MemoryMessages.Display(exception.Message)));
            await WriteAsync(output, result, cancellationToken).ConfigureAwait(false);
            return true;
        }

        using (document)
        {
            result = await _tool.ExecuteAsync(document.RootElement, cancellationToken).ConfigureAwait(false);
        }

        await WriteAsync(output, result, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static async ValueTask WriteAsync(Stream output, MemoryToolResult result, CancellationToken cancellationToken)
    {
        var line = "{\"content\": " + JsonSerializer.Serialize(result.Content, ContentOptions)
            + (result.IsError ? ", \"is_error\": true}\n" : ", \"is_error\": false}\n");
        var bytes = System.Text.Encoding.UTF8.GetBytes(line);
        await output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
