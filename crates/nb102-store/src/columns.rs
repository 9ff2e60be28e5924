//! How a record's curves are stored: column by column (all losses, then all accuracies, …) rather than
//! one map per epoch, which would repeat every field name for every epoch, and each column as one CBOR
//! byte string of little-endian values rather than an array of CBOR numbers, which a reader would decode
//! item by item (about 50 ns a value: a millisecond for a full-size cell, against some 30 µs for the
//! bytes). The Rust types stay one struct per epoch.
//!
//! An optional column is stored as the bytes of its values when every value is there, as an empty byte
//! string when none is, and otherwise as `{present: one byte 0 or 1 per value, values: the bytes of the
//! present values}`. Readers also take the CBOR arrays (numbers, `null` for a missing value) that format
//! versions before 5 of benchmark files and version 1 of trial files hold.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Error, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::record::{EvalPoint, TrainEpoch};
use crate::setting::EvalSet;

#[derive(Serialize, Deserialize)]
struct TrainColumns {
    loss: Packed<f64>,
    top1: Packed<f64>,
    top5: Optional,
    time: Optional,
}

#[derive(Serialize, Deserialize)]
struct EvalColumns {
    epoch: Packed<u16>,
    loss: Optional,
    accuracy: Optional,
    time: Optional,
}

/// `serde(with)` for `TrialRecord::train`.
pub(crate) mod train {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(epochs: &[TrainEpoch], s: S) -> Result<S::Ok, S::Error> {
        TrainColumns {
            loss: Packed(epochs.iter().map(|e| e.loss).collect()),
            top1: Packed(epochs.iter().map(|e| e.top1).collect()),
            top5: Optional::of(epochs.iter().map(|e| e.top5)),
            time: Optional::of(epochs.iter().map(|e| e.time)),
        }
        .serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<TrainEpoch>, D::Error> {
        let c = TrainColumns::deserialize(d)?;
        let n = c.loss.0.len();
        let (top5, time) = (c.top5.expand(n).map_err(D::Error::custom)?, c.time.expand(n).map_err(D::Error::custom)?);
        if c.top1.0.len() != n {
            return Err(D::Error::custom(format!("train columns of {n} and {} epochs", c.top1.0.len())));
        }
        Ok((0..n).map(|i| TrainEpoch { loss: c.loss.0[i], top1: c.top1.0[i], top5: top5[i], time: time[i] }).collect())
    }
}

/// `serde(with)` for `TrialRecord::eval`.
pub(crate) mod eval {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(sets: &BTreeMap<EvalSet, Vec<EvalPoint>>, s: S) -> Result<S::Ok, S::Error> {
        let columns: BTreeMap<EvalSet, EvalColumns> = sets
            .iter()
            .map(|(set, points)| {
                let columns = EvalColumns {
                    epoch: Packed(points.iter().map(|p| p.epoch).collect()),
                    loss: Optional::of(points.iter().map(|p| p.loss)),
                    accuracy: Optional::of(points.iter().map(|p| p.accuracy)),
                    time: Optional::of(points.iter().map(|p| p.time)),
                };
                (*set, columns)
            })
            .collect();
        columns.serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<EvalSet, Vec<EvalPoint>>, D::Error> {
        let columns = BTreeMap::<EvalSet, EvalColumns>::deserialize(d)?;
        columns
            .into_iter()
            .map(|(set, c)| {
                let n = c.epoch.0.len();
                let loss = c.loss.expand(n).map_err(D::Error::custom)?;
                let accuracy = c.accuracy.expand(n).map_err(D::Error::custom)?;
                let time = c.time.expand(n).map_err(D::Error::custom)?;
                let points = (0..n)
                    .map(|i| EvalPoint { epoch: c.epoch.0[i], loss: loss[i], accuracy: accuracy[i], time: time[i] })
                    .collect();
                Ok((set, points))
            })
            .collect()
    }
}

/// A number type stored little-endian in a column's bytes.
trait LeBytes: Copy + for<'de> Deserialize<'de> {
    const SIZE: usize;
    fn put(self, out: &mut Vec<u8>);
    fn get(bytes: &[u8]) -> Self;
}

/// The impls differ only in the type: each is its `to_le_bytes` and `from_le_bytes`.
macro_rules! le_bytes {
    ($($t:ty),*) => {$(
        impl LeBytes for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(bytes: &[u8]) -> $t {
                <$t>::from_le_bytes(bytes.try_into().expect("chunks of SIZE bytes"))
            }
        }
    )*};
}

le_bytes!(f64, u16);

fn to_bytes<T: LeBytes>(values: impl Iterator<Item = T>) -> Vec<u8> {
    let mut out = Vec::new();
    values.for_each(|v| v.put(&mut out));
    out
}

fn from_bytes<T: LeBytes, E: Error>(bytes: &[u8]) -> Result<Vec<T>, E> {
    if !bytes.len().is_multiple_of(T::SIZE) {
        return Err(E::custom(format!("a column of {} bytes, not a multiple of {}", bytes.len(), T::SIZE)));
    }
    Ok(bytes.chunks_exact(T::SIZE).map(T::get).collect())
}

/// A column of values that are all there.
struct Packed<T>(Vec<T>);

impl<T: LeBytes + Serialize> Serialize for Packed<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Byte strings are for the files; a human-readable form (the JSON of `nb102 trial --json`) shows numbers.
        if s.is_human_readable() {
            return self.0.serialize(s);
        }
        s.serialize_bytes(&to_bytes(self.0.iter().copied()))
    }
}

impl<'de, T: LeBytes> Deserialize<'de> for Packed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Packed<T>, D::Error> {
        struct PackedVisitor<T>(PhantomData<T>);
        impl<'de, T: LeBytes> Visitor<'de> for PackedVisitor<T> {
            type Value = Packed<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a column: bytes or an array of numbers")
            }
            fn visit_bytes<E: Error>(self, bytes: &[u8]) -> Result<Packed<T>, E> {
                from_bytes(bytes).map(Packed)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Packed<T>, A::Error> {
                let mut values = Vec::new();
                while let Some(v) = seq.next_element()? {
                    values.push(v);
                }
                Ok(Packed(values))
            }
        }
        d.deserialize_any(PackedVisitor(PhantomData))
    }
}

/// A column of optional values; empty when every value is missing.
struct Optional(Vec<Option<f64>>);

/// The stored form of an optional column with some values missing.
#[derive(Serialize, Deserialize)]
struct Partial {
    #[serde(with = "serde_bytes")]
    present: Vec<u8>,
    #[serde(with = "serde_bytes")]
    values: Vec<u8>,
}

impl Optional {
    /// The column, or an empty one if every value is missing.
    fn of(values: impl Iterator<Item = Option<f64>>) -> Optional {
        let column: Vec<Option<f64>> = values.collect();
        Optional(if column.iter().all(Option::is_none) { Vec::new() } else { column })
    }

    /// The column of `n` values it stands for.
    fn expand(self, n: usize) -> Result<Vec<Option<f64>>, String> {
        match self.0.len() {
            0 => Ok(vec![None; n]),
            len if len == n => Ok(self.0),
            len => Err(format!("a column of {len} values where {n} were expected")),
        }
    }
}

impl Serialize for Optional {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            return self.0.serialize(s);
        }
        if self.0.iter().all(Option::is_some) {
            return s.serialize_bytes(&to_bytes(self.0.iter().flatten().copied()));
        }
        Partial {
            present: self.0.iter().map(|v| u8::from(v.is_some())).collect(),
            values: to_bytes(self.0.iter().flatten().copied()),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Optional {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Optional, D::Error> {
        struct OptionalVisitor;
        impl<'de> Visitor<'de> for OptionalVisitor {
            type Value = Optional;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a column: bytes, {present, values} or an array of numbers and nulls")
            }
            fn visit_bytes<E: Error>(self, bytes: &[u8]) -> Result<Optional, E> {
                Ok(Optional(from_bytes::<f64, E>(bytes)?.into_iter().map(Some).collect()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Optional, A::Error> {
                let p = Partial::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                let values: Vec<f64> = from_bytes(&p.values)?;
                let count = p.present.iter().filter(|&&b| b == 1).count();
                if p.present.iter().any(|&b| b > 1) || count != values.len() {
                    return Err(A::Error::custom(format!(
                        "a column marking {count} of {} values present (bytes 0 or 1) beside {} values",
                        p.present.len(),
                        values.len()
                    )));
                }
                let mut values = values.into_iter();
                Ok(Optional(p.present.iter().map(|&b| if b == 1 { values.next() } else { None }).collect()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Optional, A::Error> {
                let mut values = Vec::new();
                while let Some(v) = seq.next_element()? {
                    values.push(v);
                }
                Ok(Optional(values))
            }
        }
        d.deserialize_any(OptionalVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Wrapped(#[serde(with = "train")] Vec<TrainEpoch>);

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct WrappedEval(#[serde(with = "eval")] BTreeMap<EvalSet, Vec<EvalPoint>>);

    fn cbor<T: Serialize>(value: &T) -> Vec<u8> {
        let mut bytes = Vec::new();
        ciborium::into_writer(value, &mut bytes).unwrap();
        bytes
    }

    /// The columns as format versions before 5 wrote them: CBOR arrays.
    #[derive(Serialize)]
    struct ArrayColumns {
        loss: Vec<f64>,
        top1: Vec<f64>,
        top5: Vec<Option<f64>>,
        time: Vec<Option<f64>>,
    }

    #[test]
    fn columns_round_trip_in_every_form() {
        let epochs = Wrapped(vec![
            TrainEpoch { loss: 2.0, top1: 10.0, top5: None, time: Some(1.5) },
            TrainEpoch { loss: 1.0, top1: 20.0, top5: None, time: None },
            TrainEpoch { loss: f64::NAN, top1: 30.0, top5: None, time: Some(-0.0) },
        ]);
        let back: Wrapped = ciborium::from_reader(cbor(&epochs).as_slice()).unwrap();
        // NaN != NaN: compare the bits.
        let bits = |w: &Wrapped| format!("{:?}", w.0.iter().map(|e| e.loss.to_bits()).collect::<Vec<_>>());
        assert_eq!(bits(&back), bits(&epochs));
        assert_eq!(back.0[0], epochs.0[0]);
        assert_eq!(back.0[1], epochs.0[1]);
        assert_eq!(back.0[2].time.map(f64::to_bits), Some((-0.0f64).to_bits()));

        let points = vec![
            EvalPoint { epoch: 0, loss: None, accuracy: None, time: Some(0.5) },
            EvalPoint { epoch: 1, loss: Some(1.25), accuracy: Some(55.5), time: Some(0.5) },
        ];
        let sets = WrappedEval(BTreeMap::from([(EvalSet::XValid, points.clone()), (EvalSet::OriTest, points)]));
        assert_eq!(ciborium::from_reader::<WrappedEval, _>(cbor(&sets).as_slice()).unwrap(), sets);
    }

    #[test]
    fn human_readable_forms_show_numbers() {
        let epochs = Wrapped(vec![
            TrainEpoch { loss: 2.0, top1: 10.0, top5: None, time: Some(1.5) },
            TrainEpoch { loss: 1.0, top1: 20.0, top5: None, time: None },
        ]);
        let json = serde_json::to_value(&epochs).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"loss": [2.0, 1.0], "top1": [10.0, 20.0], "top5": [], "time": [1.5, null]})
        );
        assert_eq!(serde_json::from_value::<Wrapped>(json).unwrap(), epochs);
    }

    #[test]
    fn columns_of_earlier_versions_still_read() {
        let old =
            ArrayColumns { loss: vec![2.0, 1.0], top1: vec![10.0, 20.0], top5: vec![], time: vec![Some(1.5), None] };
        let read: Wrapped = ciborium::from_reader(cbor(&old).as_slice()).unwrap();
        assert_eq!(
            read.0,
            vec![
                TrainEpoch { loss: 2.0, top1: 10.0, top5: None, time: Some(1.5) },
                TrainEpoch { loss: 1.0, top1: 20.0, top5: None, time: None },
            ]
        );
    }

    #[test]
    fn ragged_or_malformed_columns_are_refused() {
        let refused = |bytes: Vec<u8>| ciborium::from_reader::<Wrapped, _>(bytes.as_slice()).unwrap_err().to_string();
        let ragged = ArrayColumns { loss: vec![1.0, 2.0], top1: vec![3.0, 4.0], top5: vec![Some(5.0)], time: vec![] };
        assert!(refused(cbor(&ragged)).contains("a column of 1 values where 2 were expected"));

        #[derive(Serialize)]
        struct Bytes {
            #[serde(with = "serde_bytes")]
            loss: Vec<u8>,
            #[serde(with = "serde_bytes")]
            top1: Vec<u8>,
            #[serde(with = "serde_bytes")]
            top5: Vec<u8>,
            time: Partial,
        }
        let odd = Bytes {
            loss: vec![0; 12],
            top1: vec![0; 8],
            top5: vec![],
            time: Partial { present: vec![1], values: vec![0; 8] },
        };
        assert!(refused(cbor(&odd)).contains("a column of 12 bytes, not a multiple of 8"));
        let marks = Bytes { loss: vec![0; 8], time: Partial { present: vec![2], values: vec![0; 8] }, ..odd };
        assert!(refused(cbor(&marks)).contains("a column marking 0 of 1 values present"));
        let short = Bytes { time: Partial { present: vec![1], values: vec![] }, ..marks };
        assert!(refused(cbor(&short)).contains("a column marking 1 of 1 values present (bytes 0 or 1) beside 0 values"));
    }
}
