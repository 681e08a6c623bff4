using System.Globalization;
using Microsoft.Extensions.Options;
using Mnemo.Context;

namespace Mnemo.Hosting;

/// <summary>Context editing registered with <c>AddMnemoContextEditing</c>: a profile, what is changed of it, and the
/// warning before a clearing. Bound from the configuration section <c>Mnemo:ContextEditing</c> when one is given.</summary>
public sealed class MnemoContextEditingOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Mnemo:ContextEditing";

    /// <summary>Gets or sets the profile to start from (<see cref="ContextPresets.Names"/>); <c>development</c> by default.</summary>
    public string Profile { get; set; } = "development";

    /// <summary>Gets or sets the trigger, in input tokens, in place of the profile's.</summary>
    public long? Trigger { get; set; }

    /// <summary>Gets or sets how many recent tool uses are kept, in place of the profile's.</summary>
    public long? Keep { get; set; }

    /// <summary>Gets or sets the fewest tokens a clearing must free, in place of the profile's.</summary>
    public long? ClearAtLeast { get; set; }

    /// <summary>Gets or sets the tools whose results are never cleared, in place of the profile's (which excludes <c>memory</c>).</summary>
    public IList<string>? ExcludeTools { get; set; }

    /// <summary>Gets or sets the share of the trigger at which the model is warned to save; <see langword="null"/> for no warning.</summary>
    public double? WarningRatio { get; set; } = 0.8;

    /// <summary>Gets or sets a value indicating whether a warned call that would clear goes out unedited, so the model has a turn to save.</summary>
    public bool HoldBackWarnedRequest { get; set; } = true;

    /// <summary>Gets or sets a folder for each conversation's session record, for <c>mnemo dashboard</c>, such as
    /// <c>.mnemo/sessions</c>; <see langword="null"/> for none. A registered <see cref="Mnemo.Sessions.ISessionRecordStore"/>
    /// (a memory server's, PostgreSQL's) takes precedence.</summary>
    public string? SessionRecords { get; set; }

    /// <summary>Gets or sets the agent's name in the session records, for the dashboard's filter.</summary>
    public string? Agent { get; set; }

    /// <summary>The <c>context_management</c> configuration these options make.</summary>
    /// <returns>The configuration.</returns>
    /// <exception cref="InvalidOperationException">The profile does not exist, or a value breaks the API's rules.</exception>
    public ContextManagementConfig ToConfig()
    {
        var profile = ContextPresets.Find(Profile)?.Edits.OfType<ClearToolUsesEdit>().Single()
            ?? throw new InvalidOperationException($"{SectionName}:Profile: no profile named '{Profile}'; the profiles are {string.Join(", ", ContextPresets.Names)}.");
        try
        {
            return new ContextManagementConfig([new ClearToolUsesEdit
            {
                Trigger = new ContextTrigger(ContextTriggerKind.InputTokens, Trigger ?? profile.EffectiveTrigger.Value),
                Keep = Keep ?? profile.Keep,
                ClearAtLeast = ClearAtLeast ?? profile.ClearAtLeast,
                ExcludeTools = ExcludeTools is null ? profile.ExcludeTools : [.. ExcludeTools],
            }]);
        }
        catch (ContextFormatException exception)
        {
            throw new InvalidOperationException($"{SectionName}: {exception.Message}", exception);
        }
    }
}

/// <summary>Checks the context-editing options when the application starts, each message naming the configuration key.</summary>
internal sealed class MnemoContextEditingOptionsValidator : IValidateOptions<MnemoContextEditingOptions>
{
    public ValidateOptionsResult Validate(string? name, MnemoContextEditingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Prefix = MnemoContextEditingOptions.SectionName;
        if (options.WarningRatio is { } ratio && (double.IsNaN(ratio) || ratio <= 0 || ratio > 1))
        {
            return ValidateOptionsResult.Fail(string.Create(CultureInfo.InvariantCulture, $"{Prefix}:WarningRatio is {ratio}; it must be above 0 and at most 1, or unset for no warning."));
        }

        if (options.Trigger is < 1)
        {
            return ValidateOptionsResult.Fail(string.Create(CultureInfo.InvariantCulture, $"{Prefix}:Trigger is {options.Trigger}; it must be a positive number of input tokens."));
        }

        try
        {
            options.ToConfig();
            return ValidateOptionsResult.Success;
        }
        catch (InvalidOperationException exception)
        {
            return ValidateOptionsResult.Fail(exception.Message);
        }
    }
}
