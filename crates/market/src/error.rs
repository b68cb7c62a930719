//! The one error type of the market crate.

/// Why a book cannot be cleared (or shown). Every input problem is an `Err`, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// An order asks to trade 0 Wh.
    #[error("order {id} has zero energy")]
    ZeroEnergy { id: u64 },
    /// Two orders carry the same id (ids are assigned by the chain and must be unique).
    #[error("duplicate order id {id}")]
    DuplicateId { id: u64 },
    /// `ClearingConfig::min_trade` is 0 Wh; the smallest meaningful fill is 1 Wh.
    #[error("min_trade must be at least 1 Wh")]
    ZeroMinTrade,
    /// More orders than [`MAX_ORDERS`](crate::MAX_ORDERS) in one book.
    #[error("{count} orders exceed the limit of {max}")]
    TooManyOrders { count: usize, max: usize },
    /// The energy of one side of the book does not fit in a `u64` of watt-hours.
    #[error("total energy of the {side:?} side overflows u64 Wh")]
    EnergyOverflow { side: crate::Side },
}
