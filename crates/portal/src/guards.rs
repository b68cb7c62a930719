//! The portal's password-check memory (`<portal dir>/lockouts.redb`): one [Guard] per
//! registered login, written durably before a sign-in is answered, so neither a flood of other
//! logins nor a restart forgets a login's wrong passwords. Unknown logins are never written.
use crate::Error;
use gridledger_sdk::lockout::Guard;
use redb::{Database, TableDefinition};
use std::path::Path;

const GUARDS: TableDefinition<&str, &[u8]> = TableDefinition::new("guards");

pub struct Guards {
    db: Database,
}

impl Guards {
    pub fn open(path: &Path) -> Result<Self, Error> {
        let db = Database::create(path).map_err(Error::store)?;
        let w = db.begin_write().map_err(Error::store)?;
        w.open_table(GUARDS).map_err(Error::store)?;
        w.commit().map_err(Error::store)?;
        Ok(Self { db })
    }

    /// The login's guard (empty if it never failed or succeeded).
    pub fn get(&self, login: &str) -> Result<Guard, Error> {
        let r = self.db.begin_read().map_err(Error::store)?;
        let t = r.open_table(GUARDS).map_err(Error::store)?;
        let Some(v) = t.get(login).map_err(Error::store)? else {
            return Ok(Guard::default());
        };
        serde_json::from_slice(v.value())
            .map_err(|e| Error::Store(format!("lockout record of {login}: {e}")))
    }

    pub fn put(&self, login: &str, g: &Guard) -> Result<(), Error> {
        let bytes = serde_json::to_vec(g).map_err(|e| Error::Store(e.to_string()))?;
        let w = self.db.begin_write().map_err(Error::store)?;
        w.open_table(GUARDS)
            .map_err(Error::store)?
            .insert(login, bytes.as_slice())
            .map_err(Error::store)?;
        w.commit().map_err(Error::store)
    }

    /// A durable commit that changes nothing: the I/O an unknown login's answer costs, so it
    /// takes as long as a registered login's.
    pub fn touch(&self) -> Result<(), Error> {
        let w = self.db.begin_write().map_err(Error::store)?;
        w.open_table(GUARDS).map_err(Error::store)?;
        w.commit().map_err(Error::store)
    }
}
