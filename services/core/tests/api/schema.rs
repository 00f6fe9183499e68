use dayone_core::entities::product;
use dayone_model::BaseEntity;
use sea_orm::{ActiveModelTrait, Set};

use crate::helpers::spawn_app;

fn product(price_cents: i64, stock: i32) -> product::ActiveModel {
    product::ActiveModel {
        name: Set("Espresso cup".into()),
        description: Set("Porcelain, 80 ml".into()),
        price_cents: Set(price_cents),
        currency: Set("EUR".into()),
        stock: Set(stock),
        category: Set("kitchen".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_products_table_has_the_base_columns_and_refuses_negative_amounts() {
    let app = spawn_app().await;
    let created = product(1250, 3).insert(&app.db).await.unwrap();
    assert!(!created.uuid.is_nil());
    assert_eq!(created.created_at, created.updated_at);
    let found = product::Entity::find_by_uuid(&app.db, created.uuid)
        .await
        .unwrap();
    assert_eq!(found.map(|p| p.price_cents), Some(1250));
    assert!(
        product(-1, 3).insert(&app.db).await.is_err(),
        "negative price"
    );
    assert!(
        product(100, -3).insert(&app.db).await.is_err(),
        "negative stock"
    );
}
