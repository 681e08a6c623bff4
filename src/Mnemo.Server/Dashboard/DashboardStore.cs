using Mnemo.Memory;
using Mnemo.Sessions;

namespace Mnemo.Server.Dashboard;

/// <summary>Represents one store the dashboard shows: its sessions' records, and its memory when the dashboard may browse it.</summary>
/// <param name="Name">The store's name; sessions whose record names no store are shown under it.</param>
/// <param name="Records">The store's session records; <see langword="null"/> for none (its memory alone is shown).</param>
public sealed record DashboardStore(string Name, ISessionRecordStore? Records)
{
    /// <summary>Gets the store's memory, for the memory browser and its quota use; <see langword="null"/> for none.</summary>
    public IMemoryStore? Memory { get; init; }

    /// <summary>Gets the store's quotas, for the share of each in use; <see langword="null"/> when not known.</summary>
    public MemoryQuotas? Quotas { get; init; }

    /// <summary>Gets where the store's screening keeps the writes it held, for the memory browser; <see langword="null"/> for none.</summary>
    public Mnemo.Memory.Safety.IMemoryQuarantine? Quarantine { get; init; }

    /// <summary>Gets a value indicating whether the viewer may change the memory (restore, redact); read-only otherwise.</summary>
    public bool CanAdminister { get; init; }
}

/// <summary>Gives the stores one request to the dashboard may see.</summary>
/// <param name="context">The request.</param>
/// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
/// <returns>The stores, by name.</returns>
public delegate ValueTask<IReadOnlyList<DashboardStore>> DashboardStores(Microsoft.AspNetCore.Http.HttpContext context, CancellationToken cancellationToken);
